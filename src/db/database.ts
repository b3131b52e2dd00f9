/**
 * One pool, two ways in: Prisma for the APIs and services, plain SQL for the
 * engine's hot path (src/db/sql.ts). Both ride out a PostgreSQL restart the
 * same way: work that certainly did not start is retried for a few seconds
 * (src/db/connect-retry.ts).
 */
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "../generated/prisma/client.js";
import type { Db } from "./client.js";
import { withConnectRetry } from "./connect-retry.js";
import { pgSqlDb } from "./pg-sql.js";
import type { SqlDb } from "./sql.js";

export interface Database {
  db: Db;
  sql: SqlDb;
  close(): Promise<void>;
}

/**
 * On every connection: PostgreSQL compiles a plan whose estimated cost is
 * high enough, which for the engine's short statements costs far more than it
 * saves. Measured: with 10,000 open event waits, the estimate of an event's
 * wait lookup (a generic plan, rows unknown) crossed the threshold and each
 * event spent 370 ms compiling a statement that then ran in 0.7 ms.
 */
const JIT_OFF = "jit=off";

/**
 * Session settings of the connections the batched statements run on
 * (SqlDb.queryPlannedOnce). Planned anew on every run, each cost PostgreSQL
 * about half a millisecond of CPU before it started, a quarter of what it
 * cost in all. A generic plan is made once per connection, but it is made
 * while the tables may still be small and kept however they grow: measured,
 * the claim's, made on a few rows, updated Step by a sequential scan, 8.4 ms
 * per claim at a million steps. With scans and hash or merge joins ruled out
 * the plan made once is the right one at any size: every table is reached by
 * an index lookup in a nested loop (its EXPLAIN at a million steps). Only
 * these statements see the settings; Prisma's queries keep the usual planner.
 */
const PLANNED_ONCE_SETTINGS = [
  "plan_cache_mode=force_generic_plan",
  "enable_seqscan=off",
  "enable_hashjoin=off",
  "enable_mergejoin=off",
  JIT_OFF,
]
  .map((setting) => `-c ${setting}`)
  .join(" ");

/** Connections for the batched statements: at most two of each of the three kinds are out at once. */
const PLANNED_ONCE_POOL_SIZE = 6;

export interface DatabaseOptions {
  poolSize?: number;
  /** How long work whose connection could not be made is retried (PostgreSQL restarting). */
  connectRetryMs?: number;
  /** An idle pooled connection failed (PostgreSQL restarted); the pool replaces it. */
  onPoolError?: (error: Error) => void;
}

export function createDatabase(databaseUrl: string, options: DatabaseOptions = {}): Database {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.poolSize ?? 10, options: `-c ${JIT_OFF}` });
  const plannedOnce = new pg.Pool({
    connectionString: databaseUrl,
    max: PLANNED_ONCE_POOL_SIZE,
    options: PLANNED_ONCE_SETTINGS,
  });
  for (const each of [pool, plannedOnce]) {
    // Without a listener, an idle connection dying (PostgreSQL restarting) would crash the process.
    each.on("error", (error) => options.onPoolError?.(error));
  }
  const retry = { budgetMs: options.connectRetryMs ?? 5_000 };
  const db = new PrismaClient({ adapter: withConnectRetry(new PrismaPg(pool), retry) });
  return {
    db,
    sql: pgSqlDb(pool, retry, plannedOnce),
    async close() {
      await db.$disconnect();
      await Promise.all([pool.end(), plannedOnce.end()]);
    },
  };
}
