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

export interface DatabaseOptions {
  poolSize?: number;
  /** How long work whose connection could not be made is retried (PostgreSQL restarting). */
  connectRetryMs?: number;
  /** An idle pooled connection failed (PostgreSQL restarted); the pool replaces it. */
  onPoolError?: (error: Error) => void;
}

export function createDatabase(databaseUrl: string, options: DatabaseOptions = {}): Database {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.poolSize ?? 10 });
  // Without a listener, an idle connection dying (PostgreSQL restarting) would crash the process.
  pool.on("error", (error) => options.onPoolError?.(error));
  const retry = { budgetMs: options.connectRetryMs ?? 5_000 };
  const db = new PrismaClient({ adapter: withConnectRetry(new PrismaPg(pool), retry) });
  return {
    db,
    sql: pgSqlDb(pool, retry),
    async close() {
      await db.$disconnect();
      await pool.end();
    },
  };
}
