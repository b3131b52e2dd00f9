/**
 * Event waits through crashes, on real processes: 50 executions wait for their
 * payment; the worker is killed with SIGKILL and Redis loses every key; then 50
 * payments arrive (a few of them written without their after-commit pass, as
 * when the process sending them dies right after the commit). Each wait is
 * resumed exactly once, by its own payment, and every execution finishes.
 */
import { describe, expect, it } from "vitest";
import { writeEvent } from "../../src/engine/store/start-executions.js";
import { ingestEvent } from "../../src/services/events.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, testConfig, testEnv, waitForExecution, waitUntil } from "../support/engine.js";
import { edge, node } from "../support/graphs.js";
import { flushRedis, spawnWorker, startRedisServer } from "../support/processes.js";

const database = useTestDatabase();
const WAITING = 50;
/** Payments written with no one deciding their waits afterwards: the reconciler must. */
const ORPHANED = 5;

describe("event waits through crashes", () => {
  it("resumes each of 50 waits exactly once after a SIGKILLed worker and a flushed Redis", async () => {
    const redis = await startRedisServer();
    const env = testEnv(database.url, { REDIS_URL: redis.url });
    const producer = await startTestEngine(database.url, { worker: false, config: testConfig(database.url, env) });
    let worker = spawnWorker(env);
    try {
      await createWorkflow(producer.services, {
        name: "order waits for its payment",
        trigger: { "==": [{ var: "type" }, "order"] },
        graph: {
          nodes: [
            node("start", "start"),
            node("payment", "wait_for_event", {
              match: { and: [{ "==": [{ var: "type" }, "paid"] }, { "==": [{ var: "orderId" }, "{{payload.id}}"] }] },
            }),
            node("say", "send_notification", { toRole: "ops", message: "{{payload.id}} paid" }),
          ],
          edges: [edge("start", "payment"), edge("payment", "say")],
        },
      });
      const executions: string[] = [];
      for (let n = 0; n < WAITING; n++) {
        const sent = await ingestEvent(producer.services, { type: "order", id: `o${n}` });
        executions.push(sent.executions[0]?.id as string);
      }
      const waiting = () =>
        producer.db.step.count({ where: { nodeId: "payment", status: "WAITING", executionId: { in: executions } } });
      await waitUntil(async () => (await waiting()) === WAITING, "every execution to wait for its payment", 45_000);

      await worker.killHard();
      await flushRedis(redis.url);
      worker = spawnWorker(env);

      for (let n = 0; n < WAITING; n++) {
        const payment = { type: "paid", orderId: `o${n}` };
        if (n < ORPHANED) {
          // Committed with its candidates, then nothing: the process that wrote it "died".
          const revision = (await producer.services.triggers.match(payment)).revision;
          await writeEvent(producer.services.sql, { payload: payment, idempotencyKey: null }, [], new Date(), revision);
        } else {
          await ingestEvent(producer.services, payment);
        }
      }

      for (const [n, id] of executions.entries()) {
        const done = await waitForExecution(producer.db, id, ["SUCCEEDED", "FAILED", "CANCELLED"], 45_000);
        expect(done.status).toBe("SUCCEEDED");
        const payment = done.steps.find((s) => s.nodeId === "payment");
        expect(payment?.output).toMatchObject({ event: { orderId: `o${n}` }, timedOut: false });
      }
      const resumes = await producer.db.eventResume.groupBy({
        by: ["stepId"],
        where: { executionId: { in: executions } },
        _count: true,
      });
      expect(resumes).toHaveLength(WAITING);
      expect(resumes.every((r) => r._count === 1)).toBe(true);
      expect(await producer.db.notification.count({ where: { executionId: { in: executions } } })).toBe(WAITING);
      expect(await producer.db.eventWait.count({ where: { executionId: { in: executions } } })).toBe(0);
      expect(await producer.db.waitCandidate.count()).toBe(0);
    } finally {
      await worker.killHard();
      await producer.stop();
      await redis.stop();
    }
  }, 180_000);
});
