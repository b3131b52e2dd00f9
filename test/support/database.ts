/**
 * A private database per test file, cloned from the migrated template that
 * global-setup.ts built. Call `useTestDatabase()` at the top of a file.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, inject } from "vitest";
import { createDb, type Db } from "../../src/db/client.js";
import { databaseUrl, TEST_DATABASE_URL, TEST_ENGINE } from "./env.js";

export interface TestDatabase {
  name: string;
  url: string;
  db: Db;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const template = inject("templateDatabase");
  const name = `wft_${inject("testRunId")}_${randomBytes(4).toString("hex")}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  const url = databaseUrl(TEST_DATABASE_URL, name);
  return { name, url, db: createDb(url, { poolSize: 5 }) };
}

export async function dropTestDatabase(database: TestDatabase): Promise<void> {
  await database.db.$disconnect();
  await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${database.name}" WITH (FORCE)`));
}

/** Registers beforeAll/afterAll hooks; the returned object is filled before the first test. */
export function useTestDatabase(): TestDatabase {
  const holder = {} as TestDatabase;
  // On the embedded engine each test engine brings its own in-memory database.
  if (TEST_ENGINE === "embedded") return Object.assign(holder, { name: "embedded", url: "embedded://" });
  beforeAll(async () => {
    Object.assign(holder, await createTestDatabase());
  });
  afterAll(async () => {
    if (holder.db) await dropTestDatabase(holder);
  });
  return holder;
}

async function withAdmin<T>(work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}
