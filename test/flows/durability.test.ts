/**
 * Crash tests on real processes: a worker killed with SIGKILL mid-batch, and a
 * Redis that loses every key while executions wait in delays. In both cases
 * every execution must finish, with exactly one step per node it visits.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Execution, Step } from "../../src/generated/prisma/client.js";
import { startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, testConfig, testEnv, waitForExecution, waitUntil } from "../support/engine.js";
import { loadFlow } from "../support/flows.js";
import { TestHttpServer } from "../support/http-server.js";
import { spawnWorker, startRedisServer } from "../support/processes.js";

const database = useTestDatabase();
let server: TestHttpServer;

beforeAll(async () => {
  server = await new TestHttpServer().start();
  server.delayMs = 150; // slow enough that a kill lands while calls are in flight
});

afterAll(async () => {
  await server?.stop();
});

const SLOW_PATH = ["start", "hello", "route", "wait", "call", "bye"];
const FAST_PATH = ["start", "hello", "route", "call", "bye"];

function expectCompleted(execution: Execution & { steps: Step[] }, slow: boolean) {
  expect(execution.status).toBe("SUCCEEDED");
  const visited = execution.steps.filter((s) => s.status !== "SKIPPED").map((s) => s.nodeId);
  expect(visited.sort()).toEqual([...(slow ? SLOW_PATH : FAST_PATH)].sort());
  const wait = execution.steps.find((s) => s.nodeId === "wait");
  if (slow) expect(wait?.finishedAt?.getTime()).toBeGreaterThanOrEqual(wait?.resumeAt?.getTime() ?? Infinity);
  else expect(wait?.status).toBe("SKIPPED");
}

describe("durability", () => {
  it("finishes every execution after a worker is killed with SIGKILL mid-batch", async () => {
    const env = testEnv(database.url, { STEP_LEASE_MS: "2000", WORKER_CONCURRENCY: "4" });
    const producer = await startTestEngine(database.url, { worker: false, config: testConfig(database.url, env) });
    const workflow = await createWorkflow(producer.services, loadFlow("durability.json", server.url("")));
    const first = spawnWorker(env);
    let second: ReturnType<typeof spawnWorker> | undefined;
    try {
      const started = [];
      for (let n = 0; n < 16; n++) {
        started.push({
          slow: n % 2 === 0,
          execution: await startExecution(producer.services, workflow.id, { n, slow: n % 2 === 0 }),
        });
      }
      // Kill once some HTTP calls are in flight and some executions still wait in their delays.
      await waitUntil(async () => server.requestsTo("/slow").length >= 3, "the first calls to arrive");
      await first.killHard();
      const unfinished = await producer.db.execution.count({
        where: { id: { in: started.map((s) => s.execution.id) }, status: { not: "SUCCEEDED" } },
      });
      expect(unfinished).toBeGreaterThan(0);

      second = spawnWorker(env);
      for (const { slow, execution } of started) {
        expectCompleted(
          await waitForExecution(producer.db, execution.id, ["SUCCEEDED", "FAILED", "CANCELLED"], 45_000),
          slow,
        );
      }
      // At least once: a call cut off by the kill may be repeated, always with the same key.
      const keys = new Set(server.requestsTo("/slow").map((r) => r.headers["idempotency-key"]));
      expect(keys.size).toBe(started.length);
      const notifications = await producer.db.notification.count({ where: { execution: { workflowId: workflow.id } } });
      expect(notifications).toBe(started.length * 2);
    } finally {
      await first.killHard();
      await second?.stop();
      await producer.stop();
    }
  });

  it("finishes every waiting execution after Redis loses all its data (FLUSHALL)", async () => {
    const redis = await startRedisServer();
    const engine = await startTestEngine(database.url, { overrides: { REDIS_URL: redis.url } });
    try {
      const workflow = await createWorkflow(engine.services, loadFlow("durability.json", server.url("")));
      const started: Execution[] = [];
      for (let n = 0; n < 8; n++) started.push(await startExecution(engine.services, workflow.id, { n, slow: true }));
      await waitUntil(
        async () =>
          (await engine.db.step.count({
            where: { nodeId: "wait", status: "WAITING", executionId: { in: started.map((e) => e.id) } },
          })) === started.length,
        "every execution to wait in its delay",
      );
      const admin = new Redis(redis.url);
      try {
        // (The running engine may write a key right after, so the size is not checked.)
        expect(await admin.flushall()).toBe("OK");
      } finally {
        await admin.quit();
      }

      for (const execution of started) {
        expectCompleted(
          await waitForExecution(engine.db, execution.id, ["SUCCEEDED", "FAILED", "CANCELLED"], 30_000),
          true,
        );
      }
    } finally {
      await engine.stop();
      await redis.stop();
    }
  });
});
