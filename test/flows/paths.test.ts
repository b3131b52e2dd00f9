import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, stepsByNode, type TestEngine, waitForExecution, waitUntil } from "../support/engine.js";
import { loadFlow } from "../support/flows.js";
import { TestHttpServer } from "../support/http-server.js";

const database = useTestDatabase();
let engine: TestEngine;
let server: TestHttpServer;

beforeAll(async () => {
  server = await new TestHttpServer().start();
  engine = await startTestEngine(database.url);
});

afterAll(async () => {
  await engine?.stop();
  await server?.stop();
});

describe("parallel paths and joins", () => {
  it("runs a join once, after both paths, and finishes only then", async () => {
    const workflow = await createWorkflow(engine.services, loadFlow("diamond.json"));
    const started = await startExecution(engine.services, workflow.id, {});
    const execution = await waitForExecution(engine.db, started.id);
    const steps = stepsByNode(execution.steps);

    expect(execution.status).toBe("SUCCEEDED");
    expect(execution.steps).toHaveLength(4); // one step per node visited: the join ran once
    const join = steps.join;
    const slowPath = steps.b;
    expect(join?.status).toBe("SUCCEEDED");
    expect(join?.createdAt.getTime()).toBeGreaterThanOrEqual(slowPath?.finishedAt?.getTime() ?? Infinity);
    expect(execution.finishedAt?.getTime()).toBeGreaterThanOrEqual(join?.finishedAt?.getTime() ?? Infinity);
    expect(join?.output).toEqual({ notified: "ops", message: "joined after path a and b" });
  });

  it("fails the execution when a path fails after its retries; the other path starts nothing new", async () => {
    server.script("/broken", { status: 500, body: { error: "boom" } });
    const workflow = await createWorkflow(engine.services, loadFlow("failing-branch.json", server.url("")));
    const started = await startExecution(engine.services, workflow.id, {});
    const execution = await waitForExecution(engine.db, started.id);
    const steps = stepsByNode(execution.steps);

    expect(execution.status).toBe("FAILED");
    expect(execution.error).toBe(`call: HTTP 500 from POST ${server.url("/broken")}`);
    expect(steps.call).toMatchObject({
      status: "FAILED",
      attempt: 2,
      error: `HTTP 500 from POST ${server.url("/broken")}`,
    });
    expect(steps.call?.output).toMatchObject({ status_code: 500, body: { error: "boom" } });
    expect(steps.wait?.status).toBe("CANCELLED");
    expect(steps.after_call).toBeUndefined();
    expect(steps.after_wait).toBeUndefined();
    expect(server.requestsTo("/broken")).toHaveLength(2);

    // The cancelled delay's job still fires at its time; it must not start anything.
    const delayJobId = `${steps.wait?.id}-w`;
    await waitUntil(async () => (await engine.queue.queue.getJob(delayJobId)) === undefined, "the delay job to fire");
    const later = await engine.db.step.findMany({ where: { executionId: started.id } });
    expect(later.map((s) => `${s.nodeId}=${s.status}`).sort()).toEqual([
      "call=FAILED",
      "start=SUCCEEDED",
      "wait=CANCELLED",
    ]);
  });
});
