import { describe, expect, it } from "vitest";
import { startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { stepsByNode, waitForExecution, waitUntil } from "../support/engine.js";
import { useFlowHarness } from "../support/flow-harness.js";
import { loadFlow } from "../support/flows.js";

const harness = useFlowHarness();

describe("parallel paths and joins", () => {
  it("runs a join once, after both paths, and finishes only then", async () => {
    const workflow = await createWorkflow(harness.engine.services, loadFlow("diamond.json"));
    const started = await startExecution(harness.engine.services, workflow.id, {});
    const execution = await waitForExecution(harness.engine.db, started.id);
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
    harness.server.script("/broken", { status: 500, body: { error: "boom" } });
    const workflow = await createWorkflow(
      harness.engine.services,
      loadFlow("failing-branch.json", harness.server.url("")),
    );
    const started = await startExecution(harness.engine.services, workflow.id, {});
    const execution = await waitForExecution(harness.engine.db, started.id);
    const steps = stepsByNode(execution.steps);

    expect(execution.status).toBe("FAILED");
    expect(execution.error).toBe(`call: HTTP 500 from POST ${harness.server.url("/broken")}`);
    expect(steps.call).toMatchObject({
      status: "FAILED",
      attempt: 2,
      error: `HTTP 500 from POST ${harness.server.url("/broken")}`,
    });
    expect(steps.call?.output).toMatchObject({ status_code: 500, body: { error: "boom" } });
    expect(steps.wait?.status).toBe("CANCELLED");
    expect(steps.after_call).toBeUndefined();
    expect(steps.after_wait).toBeUndefined();
    expect(harness.server.requestsTo("/broken")).toHaveLength(2);

    // The cancelled delay's job still fires at its time; it must not start anything.
    const delayJobId = `${steps.wait?.id}-w`;
    await waitUntil(async () => !(await harness.engine.queue.hasJob(delayJobId)), "the delay job to fire");
    const later = await harness.engine.db.step.findMany({ where: { executionId: started.id } });
    expect(later.map((s) => `${s.nodeId}=${s.status}`).sort()).toEqual([
      "call=FAILED",
      "start=SUCCEEDED",
      "wait=CANCELLED",
    ]);
  });
});
