/**
 * A fresh PostgreSQL database per bench run, migrated from the committed
 * migrations and dropped at the end, and a small pool for the bench's own
 * reads (completion checks, timestamps).
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { applyMigrations } from "../test/support/migrations.js";
import { onCleanup } from "./cleanup.js";

export interface BenchDatabase {
  name: string;
  url: string;
  /** The bench's own connections (4), for reads only. */
  pool: pg.Pool;
}

/** Creates and migrates `bench_<random>` on the server `serverUrl` points at. */
export async function createBenchDatabase(serverUrl: string): Promise<BenchDatabase> {
  const name = `bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  // A connection dropped under us (PostgreSQL restarted) fails the next query; it must not crash the process.
  admin.on("error", (error) => process.stderr.write(`bench: admin connection: ${error.message}\n`));
  await admin.connect();
  onCleanup("close the admin connection", () => admin.end());
  await admin.query(`CREATE DATABASE "${name}"`);
  onCleanup(`drop database ${name}`, async () => {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await applyMigrations(url.toString());
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  let closing = false;
  pool.on("error", (error) => {
    // pool.end() resolves before its connections have closed, so DROP DATABASE … WITH (FORCE) may end them: expected.
    if (!closing) process.stderr.write(`bench: idle database connection: ${error.message}\n`);
  });
  onCleanup("close the bench's database pool", () => {
    closing = true;
    return pool.end();
  });
  return { name, url: url.toString(), pool };
}

/** Milliseconds since the epoch, in SQL, of a Prisma DateTime column (stored as UTC without a zone). */
export const epochMs = (column: string) => `(EXTRACT(EPOCH FROM ${column}) * 1000)::float8`;

/** A SQL timestamp (UTC, without zone) for milliseconds since the epoch given as a parameter. */
export const fromEpochMs = (param: string) => `(to_timestamp(${param}::float8 / 1000) AT TIME ZONE 'UTC')`;
