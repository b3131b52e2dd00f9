/**
 * SqlDb on a node-postgres pool. Values and timestamps are converted the way
 * Prisma's pg adapter does, so rows written here and through Prisma agree:
 * DateTime columns are `timestamp(3)` holding UTC, so Dates are sent as UTC
 * text without a zone and read back as UTC.
 */
import pg from "pg";
import { type ConnectRetryOptions, retryConnectFailures } from "./connect-retry.js";
import type { OpeningStatement, Sql, SqlDb, SqlRunner } from "./sql.js";

const TIMESTAMP_OID = 1114;

function parseUtcTimestamp(text: string): Date {
  return new Date(`${text.replace(" ", "T")}Z`);
}

const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === TIMESTAMP_OID
      ? parseUtcTimestamp
      : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

function toParameter(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().replace("T", " ").replace("Z", "");
  if (Array.isArray(value)) return value.map(toParameter);
  return value;
}

/**
 * Statements run as named prepared statements, so each connection parses and
 * plans a statement once instead of on every step. The engine's statements
 * come in a few dozen shapes; past the cap, new shapes simply run unnamed.
 */
const MAX_PREPARED = 500;
const statementNames = new Map<string, string>();

function statementName(text: string): string | undefined {
  const known = statementNames.get(text);
  if (known || statementNames.size >= MAX_PREPARED) return known;
  const name = `wf_${statementNames.size}`;
  statementNames.set(text, name);
  return name;
}

function run(client: pg.PoolClient, sql: Sql) {
  return client.query({ name: statementName(sql.text), text: sql.text, values: sql.values.map(toParameter), types });
}

function runner(client: pg.PoolClient): SqlRunner {
  return {
    query: async <T>(sql: Sql) => (await run(client, sql)).rows as T[],
    execute: async (sql: Sql) => (await run(client, sql)).rowCount ?? 0,
  };
}

/**
 * A pooled connection, on which BEGIN succeeded when `begin` is set. While
 * PostgreSQL restarts, connecting (or BEGIN on a connection that just died)
 * fails; nothing of the caller's has run then, so it is tried again within the
 * budget. A statement that fails once it was sent is never retried: it may
 * have committed.
 */
function checkout(
  pool: pg.Pool,
  retry: ConnectRetryOptions,
  begin: false | { opening?: OpeningStatement },
): Promise<{ client: pg.PoolClient; opened: unknown[] }> {
  const attempt = async () => {
    const client = await pool.connect();
    client.on("error", ignoreLostConnection);
    if (!begin) return { client, opened: [] };
    try {
      if (!begin.opening) {
        await client.query("BEGIN");
        return { client, opened: [] };
      }
      // One round trip for both (simple protocol, so two statements may share a message).
      const results = (await client.query({
        text: `BEGIN; ${begin.opening.text}`,
        types,
      })) as unknown as pg.QueryResult[];
      return { client, opened: results[1]?.rows ?? [] };
    } catch (error) {
      release(client, true);
      throw error;
    }
  };
  return retryConnectFailures(attempt, retry, () => !(pool as { ending?: boolean }).ending);
}

/**
 * While a client is checked out, pg-pool no longer listens for its errors: if
 * PostgreSQL ends the connection then (a restart, between two statements of a
 * transaction), the client emits 'error' with no listener and the process
 * crashed (found by `npm run chaos`). Nothing to do in the listener: the
 * statement in flight, or the next one, fails on its own, and the pool drops
 * a client that is no longer queryable when it is released.
 */
function ignoreLostConnection(): void {}

/** pg refused to send the statement: the connection had already failed or was closed. */
function isNeverSent(error: unknown): boolean {
  return error instanceof Error && /(connection error|was closed) and is not queryable/.test(error.message);
}

function release(client: pg.PoolClient, error?: Error | boolean): void {
  client.removeListener("error", ignoreLostConnection);
  client.release(error);
}

/**
 * `plannedOnce`: the pool queryPlannedOnce uses (connections whose settings
 * make each statement's plan once, by index only); the main pool if absent.
 */
export function pgSqlDb(pool: pg.Pool, retry: ConnectRetryOptions, plannedOnce: pg.Pool = pool): SqlDb {
  // A statement outside a transaction is tried again on another connection when the one it got had
  // already died (PostgreSQL restarted while it sat idle): pg refuses to send on it, so it never ran.
  const once = <T>(use: (client: pg.PoolClient) => Promise<T>, from = pool): Promise<T> =>
    retryConnectFailures(
      async () => {
        const { client } = await checkout(from, retry, false);
        try {
          return await use(client);
        } finally {
          release(client);
        }
      },
      retry,
      isNeverSent,
    );
  return {
    query: <T>(sql: Sql) => once(async (client) => (await run(client, sql)).rows as T[]),
    queryPlannedOnce: <T>(sql: Sql) => once(async (client) => (await run(client, sql)).rows as T[], plannedOnce),
    execute: (sql: Sql) => once(async (client) => (await run(client, sql)).rowCount ?? 0),
    transaction: (work, opening) => inTransaction(pool, retry, work, opening),
    queryInTransactionPlannedOnce: (sql, opening) => inOneMessage(plannedOnce, retry, sql, opening),
  };
}

async function inTransaction<T>(
  pool: pg.Pool,
  retry: ConnectRetryOptions,
  work: (tx: SqlRunner, opened: unknown[]) => Promise<T>,
  opening: OpeningStatement | undefined,
): Promise<T> {
  const { client, opened } = await checkout(pool, retry, { opening });
  let broken: unknown;
  try {
    const result = await work(runner(client), opened);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    broken = await client.query("ROLLBACK").then(
      () => undefined,
      (rollbackError: unknown) => rollbackError,
    );
    throw error;
  } finally {
    // A connection whose rollback failed is in an unknown state: destroy it rather than reuse it.
    release(client, broken instanceof Error ? broken : undefined);
  }
}

/**
 * BEGIN, `opening`, the statement and COMMIT in one simple-protocol message.
 * If any fails, PostgreSQL skips the rest and the transaction is aborted:
 * it is rolled back here, and a connection that cannot is destroyed.
 */
async function inOneMessage<T>(pool: pg.Pool, retry: ConnectRetryOptions, sql: Sql, opening: OpeningStatement) {
  const { client } = await checkout(pool, retry, false);
  let broken: unknown;
  try {
    const text = `BEGIN; ${opening.text}; ${withLiterals(sql)}; COMMIT`;
    const results = (await client.query({ text, types })) as unknown as pg.QueryResult[];
    return (results[2]?.rows ?? []) as T[];
  } catch (error) {
    broken = await client.query("ROLLBACK").then(
      () => undefined,
      (rollbackError: unknown) => rollbackError,
    );
    throw error;
  } finally {
    release(client, broken instanceof Error ? broken : undefined);
  }
}

/** The statement with each $n replaced by its value as a literal (escaped by pg). */
function withLiterals(sql: Sql): string {
  return sql.text.replace(/\$(\d+)/g, (_, n: string) => literal(sql.values[Number(n) - 1]));
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  if (typeof value === "string") return pg.escapeLiteral(value);
  if (value instanceof Date) return pg.escapeLiteral(toParameter(value) as string);
  throw new Error(`a value of type ${typeof value} cannot be written into a one-message statement`);
}
