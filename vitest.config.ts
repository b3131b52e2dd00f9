import { defineConfig } from "vitest/config";

/**
 * Two projects: `unit` needs nothing but Node; `integration` (and the whole-
 * workflow flows) use the real PostgreSQL and Redis, a database per test file
 * cloned from a template built once per run.
 */
export default defineConfig({
  test: {
    reporters: process.env.CI ? ["default", ["json", { outputFile: "test-results/vitest.json" }]] : ["default"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
        },
      },
      {
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
