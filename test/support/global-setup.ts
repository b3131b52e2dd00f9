/**
 * Runs once per `vitest` run for the suites that need PostgreSQL: builds a
 * template database from the committed migrations. Each test file then clones
 * it (CREATE DATABASE … TEMPLATE), which takes milliseconds, so files never share
 * state. The template and any clones a crashed run left behind are dropped.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { databaseUrl, TEST_DATABASE_URL } from "./env.js";
import { applyMigrations } from "./migrations.js";

declare module "vitest" {
  export interface ProvidedContext {
    templateDatabase: string;
    testRunId: string;
  }
}

export const TEST_DB_PREFIX = "wft_";

export default async function setup(project: TestProject) {
  const runId = randomBytes(4).toString("hex");
  const template = `${TEST_DB_PREFIX}${runId}_template`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${template}"`);
  await applyMigrations(databaseUrl(TEST_DATABASE_URL, template));
  project.provide("templateDatabase", template);
  project.provide("testRunId", runId);

  return async () => {
    const { rows } = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1", [
      `${TEST_DB_PREFIX}${runId}_%`,
    ]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await admin.end();
  };
}
