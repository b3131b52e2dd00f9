import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

// graphql 16 ships CommonJS (main) and ESM (module) builds without an exports map.
// Node resolves every import to the CommonJS build; Vite would hand our sources
// the ESM one, and two copies of graphql cannot share a schema. Pin the one Node uses.
const graphqlMain = createRequire(import.meta.url).resolve("graphql");

/**
 * Two projects: `unit` needs nothing but Node; `integration` (and the whole-
 * workflow flows) use the real PostgreSQL and Redis, a database per test file
 * cloned from a template built once per run.
 */
export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlMain }] },
  test: {
    reporters: process.env.CI ? ["default", ["json", { outputFile: "test-results/vitest.json" }]] : ["default"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "test/flows/**/*.test.ts"],
          globalSetup: ["test/support/global-setup.ts"],
          setupFiles: ["test/support/leak-guard.ts"],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});
