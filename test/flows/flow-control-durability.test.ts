/**
 * Flow control outlives a Redis that lost everything: a debounce window and a throttled line
 * wait on delayed admission jobs, which FLUSHALL deletes. The windows and the line are rows in
 * PostgreSQL, and the reconciler admits every workflow that has one, so the window still starts
 * its one execution and the line still drains, in order.
 */
import { describe, expect, it } from "vitest";
import { ingestEvent } from "../../src/services/events.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, waitForExecution, waitUntil } from "../support/engine.js";
import { edge, node } from "../support/graphs.js";
import { flushRedis, startRedisServer } from "../support/processes.js";

const database = useTestDatabase();

const noteGraph = {
  nodes: [node("start", "start"), node("note", "send_notification", { toRole: "ops", message: "n={{payload.n}}" })],
  edges: [edge("start", "note")],
};

describe("flow control after Redis loses its data", () => {
  it("still closes a debounce window and drains a throttled line", async () => {
    const redis = await startRedisServer();
    const engine = await startTestEngine(database.url, { overrides: { REDIS_URL: redis.url } });
    try {
      const debounced = await createWorkflow(engine.services, {
        name: "debounced",
        trigger: { "==": [{ var: "type" }, "edit"] },
        debounce: { key: "{{payload.doc}}", periodMs: 1500 },
        graph: noteGraph,
      });
      const throttled = await createWorkflow(engine.services, {
        name: "throttled",
        trigger: { "==": [{ var: "type" }, "sync"] },
        rateLimit: { limit: 1, periodMs: 1000 },
        graph: noteGraph,
      });
      for (const n of [1, 2, 3]) await ingestEvent(engine.services, { type: "edit", doc: "D", n });
      const line = [];
      for (const n of [1, 2, 3]) line.push((await ingestEvent(engine.services, { type: "sync", n })).executions[0]?.id);
      // The first sync starts at once; the other two wait on delayed admission jobs, as the window does.
      await waitForExecution(engine.db, line[0] as string, ["SUCCEEDED"]);
      await flushRedis(redis.url);

      await waitUntil(
        async () => (await engine.db.execution.count({ where: { workflowId: debounced.id } })) === 1,
        "the window's one execution",
        30_000,
      );
      const [fired] = await engine.db.execution.findMany({ where: { workflowId: debounced.id } });
      expect(fired?.payload).toMatchObject({ doc: "D", n: 3 });
      expect((await waitForExecution(engine.db, fired?.id as string)).status).toBe("SUCCEEDED");
      const finished = [];
      for (const id of line) finished.push(await waitForExecution(engine.db, id as string, ["SUCCEEDED"], 30_000));
      const starts = finished.map((e) => (e.startedAt as Date).getTime());
      expect([...starts].sort((a, b) => a - b)).toEqual(starts);
      expect(await engine.db.capacityWait.count({ where: { workflowId: throttled.id } })).toBe(0);
    } finally {
      await engine.stop();
      await redis.stop();
    }
  });
});
