/**
 * A run lost with its worker (the step was claimed, then the worker died
 * before the handler could act) must not use up a retry: `attempts: 2` means
 * two real tries, however many runs were lost on the way.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, type TestEngine } from "../support/engine.js";
import { TestHttpServer } from "../support/http-server.js";

const database = useTestDatabase();
let engine: TestEngine;
let target: TestHttpServer;

beforeAll(async () => {
  target = await new TestHttpServer().start();
  // No worker: the test plays the worker that takes the step over, step by step.
  engine = await startTestEngine(database.url, { worker: false });
});

afterAll(async () => {
  await engine?.stop();
  await target?.stop();
});

describe("a run lost with its worker", () => {
  it("is counted as a lost run, not as a try: the retry policy still gets its two real tries", async () => {
    target.script("/down", { status: 500, body: { error: "down" } });
    const workflow = await createWorkflow(engine.services, {
      name: "lost run",
      graph: {
        nodes: [
          { id: "start", type: "start" },
          {
            id: "call",
            type: "http_call",
            data: { method: "POST", url: target.url("/down"), retry: { attempts: 2, backoffMs: 10 } },
          },
        ],
        edges: [{ source: "start", target: "call" }],
      },
    });
    const execution = await startExecution(engine.services, workflow.id, {});
    // As a worker would leave it when killed right after claiming "call" (attempt 1), before any request.
    const callId = randomUUID();
    await engine.db.$executeRaw`
      UPDATE "Step" SET status = 'SUCCEEDED', next = ARRAY['call'], "finishedAt" = now()
      WHERE "executionId" = ${execution.id} AND "nodeId" = 'start'`;
    await engine.db.$executeRaw`
      INSERT INTO "Step" (id, "executionId", "nodeId", type, status, attempt, seq, "startedAt", "leaseUntil")
      VALUES (${callId}, ${execution.id}, 'call', 'http_call', 'RUNNING', 1, 3,
              now() - interval '1 minute', now() - interval '1 second')`;
    await engine.db.execution.update({ where: { id: execution.id }, data: { status: "RUNNING", seq: 3 } });

    // Another worker takes the step over, and runs its retry when it is due.
    const job = { stepId: callId, executionId: execution.id, generation: "2" };
    for (let round = 0; round < 10; round++) {
      const step = await engine.db.step.findUniqueOrThrow({ where: { id: callId } });
      if (step.status === "FAILED" || step.status === "SUCCEEDED") break;
      const due = (await engine.runner.process(job))?.rescheduleAt;
      if (due) await new Promise((resolve) => setTimeout(resolve, due.getTime() - Date.now()));
    }

    const call = await engine.db.step.findUniqueOrThrow({ where: { id: callId } });
    expect(call).toMatchObject({ status: "FAILED", attempt: 3, lostRuns: 1 });
    expect(target.requestsTo("/down")).toHaveLength(2);
    expect((await engine.db.execution.findUniqueOrThrow({ where: { id: execution.id } })).status).toBe("FAILED");
  });
});
