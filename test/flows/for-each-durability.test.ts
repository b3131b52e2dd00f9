/**
 * for_each through a crash, on real processes: a worker runs a 60-item for_each (5 at a time) and
 * is killed with SIGKILL mid-way, and Redis loses every key (the wake jobs of children that ended
 * meanwhile included). A new worker finishes it: every item ran as exactly one child execution,
 * the parent succeeded with all 60 results in order, and never more than 5 items ran at once.
 */
import { describe, expect, it } from "vitest";
import { startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, testConfig, testEnv, waitForExecution, waitUntil } from "../support/engine.js";
import { linked, node } from "../support/graphs.js";
import { TestHttpServer } from "../support/http-server.js";
import { flushRedis, spawnWorker, startRedisServer } from "../support/processes.js";

const database = useTestDatabase();
const ITEMS = 60;

describe("for_each through a crash", () => {
  it("runs every item exactly once after a SIGKILLed worker and a flushed Redis", async () => {
    const server = await new TestHttpServer().start();
    server.delayMs = 60;
    const redis = await startRedisServer();
    const env = testEnv(database.url, { REDIS_URL: redis.url });
    const producer = await startTestEngine(database.url, { worker: false, config: testConfig(database.url, env) });
    let worker = spawnWorker(env);
    try {
      const item = await createWorkflow(producer.services, {
        name: "item",
        graph: linked(
          node("start", "start"),
          node("fetch", "http_call", { url: `${server.url("/item")}?i={{payload.index}}` }),
        ),
      });
      const parent = await createWorkflow(producer.services, {
        name: "map",
        graph: linked(
          node("start", "start"),
          node("each", "for_each", { items: "{{payload.items}}", workflowId: item.id, maxConcurrency: 5 }),
        ),
      });
      const started = await startExecution(producer.services, parent.id, { items: [...Array(ITEMS).keys()] });
      const ended = () =>
        producer.db.execution.count({ where: { parentExecutionId: started.id, status: "SUCCEEDED" } });
      await waitUntil(async () => (await ended()) >= 15, "a quarter of the items to end", 45_000);

      await worker.killHard();
      await flushRedis(redis.url);
      worker = spawnWorker(env);

      const done = await waitForExecution(producer.db, started.id, undefined, 90_000);
      expect(done.status).toBe("SUCCEEDED");
      const children = await producer.db.execution.findMany({
        where: { parentExecutionId: started.id },
        include: { steps: { where: { nodeId: "fetch" } } },
        orderBy: { childIndex: "asc" },
      });
      expect(children.map((c) => c.childIndex)).toEqual([...Array(ITEMS).keys()]);
      expect(children.every((c) => c.status === "SUCCEEDED")).toBe(true);
      const output = done.steps.find((s) => s.nodeId === "each")?.output as { results: { index: number }[] };
      expect(output.results.map((r) => r.index)).toEqual([...Array(ITEMS).keys()]);
      // Calls are at least once (one in flight when the worker died is sent again), children exactly once.
      const called = new Set(server.requestsTo("/item").map((r) => Number(new URLSearchParams(r.query).get("i"))));
      expect(called.size).toBe(ITEMS);
      const intervals = children
        .flatMap((c) => c.steps)
        .map((s) => [s.startedAt?.getTime() ?? 0, s.finishedAt?.getTime() ?? 0]);
      for (const [start] of intervals) {
        const open = intervals.filter(
          ([from, to]) => (from as number) <= (start as number) && (start as number) < (to as number),
        );
        expect(open.length).toBeLessThanOrEqual(5);
      }
      expect(await producer.db.childBatch.count()).toBe(0);
    } finally {
      await worker.killHard();
      await producer.stop();
      await redis.stop();
      await server.stop();
    }
  }, 180_000);
});
