/**
 * The engine's hot path speaks SQL through this small port instead of the
 * Prisma client: per query, Prisma's runtime cost about as much CPU as the
 * rest of a step together (see bench/README.md). Statements are built with
 * Prisma.sql, so values are always bound parameters, never spliced text.
 *
 * Production implements it on the pg pool Prisma also uses (src/db/pg-sql.ts);
 * embedded mode (one PGlite connection) goes through Prisma's raw queries, so
 * the two never interleave inside each other's transactions.
 */
import type { Prisma } from "../generated/prisma/client.js";
import type { Db } from "./client.js";

export type Sql = Prisma.Sql;

export interface SqlRunner {
  query<T>(sql: Sql): Promise<T[]>;
  /** Returns the number of rows the statement changed. */
  execute(sql: Sql): Promise<number>;
}

/**
 * A statement without parameters, sent together with BEGIN in one round trip.
 * Its text is trusted: the caller builds it only from values it validated
 * (an id checked to be a UUID), never from client text.
 */
export interface OpeningStatement {
  text: string;
}

export interface SqlDb extends SqlRunner {
  /**
   * query() for the engine's batched statements (claims, finishes, new
   * executions): a few fixed shapes whose every table access is by key. They
   * run where each is planned once per connection, by index only, instead of
   * on every run (see src/db/database.ts).
   */
  queryPlannedOnce<T>(sql: Sql): Promise<T[]>;
  /**
   * Runs `work` in one transaction: committed if it resolves, rolled back if it
   * throws. With `opening`, that statement runs first and `work` gets its rows.
   */
  transaction<T>(work: (tx: SqlRunner, opened: unknown[]) => Promise<T>, opening?: OpeningStatement): Promise<T>;
  /**
   * One statement in its own transaction opened by `opening`, on those
   * connections, in one round trip: BEGIN, the opening, the statement and
   * COMMIT travel as one message (the statement's values, text and numbers
   * only, written in as escaped literals; it is planned on every run).
   */
  queryInTransactionPlannedOnce<T>(sql: Sql, opening: OpeningStatement): Promise<T[]>;
}

type RawClient = Pick<Db, "$queryRaw" | "$executeRaw">;

/** A Prisma client, or a Prisma transaction client, as a SqlRunner. */
export function prismaSql(client: RawClient): SqlRunner {
  return {
    query: <T>(sql: Sql) => client.$queryRaw<T[]>(sql),
    execute: (sql: Sql) => client.$executeRaw(sql),
  };
}

export function prismaSqlDb(db: Db): SqlDb {
  const runner = prismaSql(db);
  const transaction: SqlDb["transaction"] = (work, opening) =>
    db.$transaction(async (tx) => work(prismaSql(tx), opening ? await tx.$queryRawUnsafe(opening.text) : []));
  return {
    ...runner,
    // One embedded connection, planned as Prisma plans it.
    queryPlannedOnce: runner.query,
    transaction,
    queryInTransactionPlannedOnce: (sql, opening) => transaction((tx) => tx.query(sql), opening),
  };
}
