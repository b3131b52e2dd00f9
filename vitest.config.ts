import { createRequire } from "node:module";
import { defineConfig, type TestProjectConfiguration } from "vitest/config";
import { SERVICES_AVAILABLE, SERVICES_REQUIRED } from "./test/support/env.js";

// graphql 16 ships CommonJS (main) and ESM (module) builds without an exports map.
// Node resolves every import to the CommonJS build; Vite would hand our sources
// the ESM one, and two copies of graphql cannot share a schema. Pin the one Node uses.
const graphqlMain = createRequire(import.meta.url).resolve("graphql");

/** Whole-workflow tests that need nothing but the engine: they also run on the embedded adapters. */
const PORTABLE_FLOWS = [
  "test/flows/lead-routing.test.ts",
  "test/flows/paths.test.ts",
  "test/flows/lifecycle.test.ts",
  "test/flows/http-call.test.ts",
  "test/flows/metrics.test.ts",
  "test/flows/rest-flow.test.ts",
  "test/flows/rule-budget.test.ts",
  "test/flows/original-ui.test.ts",
  "test/flows/wait-for-event.test.ts",
  "test/flows/cancel-and-timeout.test.ts",
  "test/flows/flow-control.test.ts",
  "test/flows/transform.test.ts",
  "test/flows/call-workflow.test.ts",
  "test/flows/for-each.test.ts",
  "test/flows/rerun.test.ts",
  "test/flows/replay.test.ts",
  "test/flows/schedules.test.ts",
  "test/flows/backlog-metrics.test.ts",
  "test/flows/pause.test.ts",
  "test/flows/retention.test.ts",
];

if (!SERVICES_AVAILABLE) {
  if (SERVICES_REQUIRED) {
    throw new Error(
      "REQUIRE_SERVICES is set, but DATABASE_URL and REDIS_URL are not: the PostgreSQL and Redis suites would be skipped",
    );
  }
  // Once per run: the config is loaded again in worker processes, which inherit this variable.
  if (!process.env.WORKFLOW_TESTS_SKIP_NOTICE) {
    process.env.WORKFLOW_TESTS_SKIP_NOTICE = "shown";
    console.log(
      "Skipping the PostgreSQL and Redis suites: DATABASE_URL and REDIS_URL are not set (the flow tests run on the embedded adapters).",
    );
  }
}

const integration: TestProjectConfiguration = {
  extends: true,
  test: {
    name: "integration",
    // test/e2e: the web console in Chromium against a real server (production mode).
    include: ["test/integration/**/*.test.ts", "test/flows/**/*.test.ts", "test/e2e/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    setupFiles: ["test/support/leak-guard.ts"],
    env: { TEST_ENGINE: "production" },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
};

const embedded: TestProjectConfiguration = {
  extends: true,
  test: {
    name: "embedded",
    include: PORTABLE_FLOWS,
    setupFiles: ["test/support/leak-guard.ts"],
    env: { TEST_ENGINE: "embedded" },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
};

/**
 * Projects: `unit` needs nothing but Node; `integration` (and the whole-workflow
 * flows) use the real PostgreSQL and Redis, a database per test file cloned from
 * a template built once per run; `embedded` runs the portable flows on PGlite
 * and the in-process queue and bus.
 */
export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlMain }] },
  test: {
    reporters: process.env.CI ? ["default", ["json", { outputFile: "test-results/vitest.json" }]] : ["default"],
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      // The web console's logic and components (web/test): no services, no browser.
      { extends: true, test: { name: "web", include: ["web/test/**/*.test.{ts,tsx}"] } },
      ...(SERVICES_AVAILABLE ? [integration] : []),
      embedded,
    ],
  },
});
