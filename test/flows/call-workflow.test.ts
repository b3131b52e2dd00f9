/**
 * call_workflow in a real engine: the parent waits for its child (a kind of wait), gets the
 * child's real output, fails with the child's error when the child fails after a wait of its
 * own, cancels a waiting child when it is cancelled, and stops nesting at the depth limit.
 */
import { describe, expect, it } from "vitest";
import { cancelExecution, startExecution } from "../../src/services/executions.js";
import { createWorkflow, updateWorkflow } from "../../src/services/workflows.js";
import { stepsByNode, waitForExecution, waitForStep } from "../support/engine.js";
import { useFlowHarness } from "../support/flow-harness.js";
import { linked, node } from "../support/graphs.js";

const harness = useFlowHarness();
const services = () => harness.engine.services;
const db = () => harness.engine.db;

async function workflow(name: string, graph: ReturnType<typeof linked>) {
  return createWorkflow(services(), { name, graph });
}

async function children(parentExecutionId: string) {
  return db().execution.findMany({ where: { parentExecutionId }, orderBy: { createdAt: "asc" } });
}

describe("call_workflow", () => {
  it("waits for a child that waits on a delay, and gets the child's real output, not its own input", async () => {
    const child = await workflow(
      "child ok",
      linked(
        node("start", "start"),
        node("pause", "delay", { ms: 300 }),
        node("shape", "transform", {
          set: { doubled: { logic: { "*": [{ var: "n" }, 2] } }, from: "{{payload.who}}" },
        }),
      ),
    );
    const parent = await workflow(
      "parent ok",
      linked(
        node("start", "start"),
        node("call", "call_workflow", { workflowId: child.id, payload: { n: "{{payload.n}}", who: "parent" } }),
        node("after", "send_notification", { toRole: "AE", message: "got {{steps.call.output.output.shape.doubled}}" }),
      ),
    );
    const started = await startExecution(services(), parent.id, { n: 21 });
    await waitForStep(db(), started.id, "call", "WAITING");
    const done = await waitForExecution(db(), started.id);
    expect(done.status).toBe("SUCCEEDED");
    const [kid] = await children(started.id);
    expect(kid).toMatchObject({
      workflowId: child.id,
      status: "SUCCEEDED",
      parentStepId: stepsByNode(done.steps).call?.id,
    });
    expect(kid?.payload).toEqual({ n: 21, who: "parent" });
    const call = stepsByNode(done.steps).call;
    expect(call?.output).toEqual({
      executionId: kid?.id,
      status: "SUCCEEDED",
      output: { shape: { doubled: 42, from: "parent" } },
    });
    expect(stepsByNode(done.steps).after?.output).toMatchObject({ message: "got 42" });
  });

  it("fails with the child's error when the child fails after a delay; continue lets it go on", async () => {
    const missing = harness.server.url("/missing");
    harness.server.script("/missing", { status: 404, body: { error: "no such thing" } });
    const child = await workflow(
      "child fails",
      linked(node("start", "start"), node("pause", "delay", { ms: 200 }), node("fetch", "http_call", { url: missing })),
    );
    const failing = await workflow(
      "parent fails",
      linked(node("start", "start"), node("call", "call_workflow", { workflowId: child.id })),
    );
    const started = await startExecution(services(), failing.id, { x: 1 });
    const done = await waitForExecution(db(), started.id);
    expect(done.status).toBe("FAILED");
    const [kid] = await children(started.id);
    expect(kid?.status).toBe("FAILED");
    expect(kid?.payload).toEqual({ x: 1 }); // the parent's payload by default
    expect(done.error).toContain(`call: child execution ${kid?.id} FAILED: fetch:`);
    expect(done.error).toContain("404");

    const tolerant = await workflow(
      "parent continues",
      linked(
        node("start", "start"),
        node("call", "call_workflow", { workflowId: child.id, onChildFailure: "continue" }),
        node("after", "send_notification", { toRole: "AE", message: "child {{steps.call.output.status}}" }),
      ),
    );
    const goesOn = await waitForExecution(db(), (await startExecution(services(), tolerant.id, {})).id);
    expect(goesOn.status).toBe("SUCCEEDED");
    expect(stepsByNode(goesOn.steps).call?.output).toMatchObject({
      status: "FAILED",
      error: expect.stringContaining("404"),
    });
    expect(stepsByNode(goesOn.steps).after?.output).toMatchObject({ message: "child FAILED" });
  });

  it("without wait, succeeds at once with the child's id and the child runs on its own", async () => {
    const child = await workflow("child slow", linked(node("start", "start"), node("pause", "delay", { ms: 300 })));
    const parent = await workflow(
      "parent fire and forget",
      linked(node("start", "start"), node("call", "call_workflow", { workflowId: child.id, wait: false })),
    );
    const started = await startExecution(services(), parent.id, {});
    const done = await waitForExecution(db(), started.id);
    expect(done.status).toBe("SUCCEEDED");
    const [kid] = await children(started.id);
    expect(stepsByNode(done.steps).call?.output).toEqual({ executionId: kid?.id, workflowId: child.id });
    expect((await waitForExecution(db(), kid?.id as string)).status).toBe("SUCCEEDED");
  });

  it("cancelling the parent cancels its waiting child", async () => {
    const child = await workflow("child waits", linked(node("start", "start"), node("pause", "delay", { ms: 60_000 })));
    const parent = await workflow(
      "parent cancelled",
      linked(node("start", "start"), node("call", "call_workflow", { workflowId: child.id })),
    );
    const started = await startExecution(services(), parent.id, {});
    await waitForStep(db(), started.id, "call", "WAITING");
    const [kid] = await children(started.id);
    await waitForStep(db(), kid?.id as string, "pause", "WAITING");
    await cancelExecution(services(), started.id);
    const cancelled = await waitForExecution(db(), kid?.id as string);
    expect(cancelled.status).toBe("CANCELLED");
    expect(cancelled.error).toBe(`cancelled with its parent execution ${started.id}`);
    expect(stepsByNode(cancelled.steps).pause?.status).toBe("CANCELLED");
    expect((await waitForExecution(db(), started.id)).status).toBe("CANCELLED");
  });

  it("a parent waiting for its child holds no concurrency slot: a limit-1 workflow's next execution runs meanwhile", async () => {
    const child = await workflow("child long", linked(node("start", "start"), node("pause", "delay", { ms: 1500 })));
    const parent = await createWorkflow(services(), {
      name: "one at a time",
      concurrency: { limit: 1 },
      graph: linked(node("start", "start"), node("call", "call_workflow", { workflowId: child.id })),
    });
    const first = await startExecution(services(), parent.id, {});
    await waitForStep(db(), first.id, "call", "WAITING");
    const second = await startExecution(services(), parent.id, {});
    // Let in while the first still waits for its child.
    await waitForStep(db(), second.id, "call", "WAITING");
    expect((await db().execution.findUniqueOrThrow({ where: { id: first.id } })).status).toBe("RUNNING");
    expect((await waitForExecution(db(), first.id)).status).toBe("SUCCEEDED");
    expect((await waitForExecution(db(), second.id)).status).toBe("SUCCEEDED");
  });

  it("a workflow calling itself stops at the depth limit, failing every level with the reason", async () => {
    const self = await workflow("recursive", linked(node("start", "start")));
    const graph = linked(node("start", "start"), node("again", "call_workflow", { workflowId: self.id }));
    await updateWorkflow(services(), self.id, { graph });
    const started = await startExecution(services(), self.id, {});
    const done = await waitForExecution(db(), started.id, undefined, 30_000);
    expect(done.status).toBe("FAILED");
    const depths = await db().execution.findMany({
      where: { workflowId: self.id },
      select: { callDepth: true, error: true },
    });
    expect(Math.max(...depths.map((d) => d.callDepth))).toBe(10);
    const deepest = depths.find((d) => d.callDepth === 10);
    expect(deepest?.error).toContain("call depth limit reached: calls may nest 10 deep");
  });

  it("a missing workflow fails the step at once, naming it", async () => {
    const parent = await workflow(
      "parent of nothing",
      linked(node("start", "start"), node("call", "call_workflow", { workflowId: "no-such-workflow" })),
    );
    const done = await waitForExecution(db(), (await startExecution(services(), parent.id, {})).id);
    expect(done.status).toBe("FAILED");
    expect(done.error).toBe("call: workflow no-such-workflow not found (or deleted)");
  });
});
