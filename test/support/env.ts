/**
 * Where the test services are, and which engine the flow tests run on.
 *
 * DATABASE_URL and REDIS_URL (or TEST_DATABASE_URL / TEST_REDIS_URL) name a
 * PostgreSQL server (any database on it: tests create their own) and a Redis.
 * Without them the suites that need them are skipped and the flow tests run on
 * the embedded adapters; REQUIRE_SERVICES=1 (set in CI) turns that skip into a failure.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? "";
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? "";
export const SERVICES_AVAILABLE = TEST_DATABASE_URL !== "" && TEST_REDIS_URL !== "";
export const SERVICES_REQUIRED = ["1", "true", "yes"].includes(process.env.REQUIRE_SERVICES ?? "");

/** "production": PostgreSQL + Redis adapters; "embedded": PGlite and in-process adapters. */
export const TEST_ENGINE: "production" | "embedded" =
  process.env.TEST_ENGINE === "embedded" || !SERVICES_AVAILABLE ? "embedded" : "production";

/** The same server as `base`, another database. */
export function databaseUrl(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}
