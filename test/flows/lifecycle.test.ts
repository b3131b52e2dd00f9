import { describe, expect, it } from "vitest";
import { ConflictError } from "../../src/errors.js";
import { ingestEvent } from "../../src/services/events.js";
import { cancelExecution, retryExecution, startExecution } from "../../src/services/executions.js";
import { createWorkflow, deleteWorkflow, updateWorkflow } from "../../src/services/workflows.js";
import { startTestEngine, stepsByNode, waitForExecution, waitForStep, waitUntil } from "../support/engine.js";
import { useFlowHarness } from "../support/flow-harness.js";
import { edge, node } from "../support/graphs.js";

const harness = useFlowHarness();

/** start → wait (delay) → say (notification with the given message) */
function waitThenSay(message: string, ms: number, trigger: unknown = {}) {
  return {
    name: `wait ${ms} then say ${message}`,
    trigger,
    graph: {
      nodes: [
        node("start", "start"),
        node("wait", "delay", { ms }),
        node("say", "send_notification", { toRole: "ops", message }),
      ],
      edges: [edge("start", "wait"), edge("wait", "say")],
    },
  };
}

describe("idempotency keys", () => {
  it("starts one execution per matching workflow for the same event sent twice, even concurrently", async () => {
    const trigger = { "==": [{ var: "kind" }, "idem"] };
    const first = await createWorkflow(harness.engine.services, waitThenSay("one", 10, trigger));
    const second = await createWorkflow(harness.engine.services, waitThenSay("two", 10, trigger));
    const event = { kind: "idem", n: 1 };

    const [a, b] = await Promise.all([
      ingestEvent(harness.engine.services, event, "key-1"),
      ingestEvent(harness.engine.services, event, "key-1"),
    ]);
    const again = await ingestEvent(harness.engine.services, event, "key-1");
    expect(a.event.id).toBe(b.event.id);
    expect(again.event.id).toBe(a.event.id);
    expect(again.duplicate).toBe(true);
    expect(again.executions.map((e) => e.id).sort()).toEqual(a.executions.map((e) => e.id).sort());
    expect(a.executions.map((e) => e.workflowId).sort()).toEqual([first.id, second.id].sort());
    expect(await harness.engine.db.execution.count({ where: { workflowId: { in: [first.id, second.id] } } })).toBe(2);

    const other = await ingestEvent(harness.engine.services, event, "key-2");
    expect(other.executions).toHaveLength(2);
    for (const e of [...a.executions, ...other.executions]) await waitForExecution(harness.engine.db, e.id);
  });
});

describe("versions", () => {
  it("keeps a running execution on the version it started with when the workflow is edited", async () => {
    const workflow = await createWorkflow(harness.engine.services, waitThenSay("from version 1", 600));
    const started = await startExecution(harness.engine.services, workflow.id, {});
    await waitForStep(harness.engine.db, started.id, "wait", "WAITING");

    const edited = waitThenSay("from version 2", 10);
    const updated = await updateWorkflow(harness.engine.services, workflow.id, { graph: edited.graph });
    expect(updated.version).toBe(2);

    const execution = await waitForExecution(harness.engine.db, started.id);
    expect(execution).toMatchObject({ status: "SUCCEEDED", workflowVersion: 1 });
    expect(stepsByNode(execution.steps).say?.output).toEqual({ notified: "ops", message: "from version 1" });

    const next = await waitForExecution(
      harness.engine.db,
      (await startExecution(harness.engine.services, workflow.id, {})).id,
    );
    expect(next.workflowVersion).toBe(2);
    expect(stepsByNode(next.steps).say?.output).toMatchObject({ message: "from version 2" });
    expect(await harness.engine.db.workflowVersion.count({ where: { workflowId: workflow.id } })).toBe(2);
  });
});

describe("cancel and retry", () => {
  it("cancels a waiting execution: nothing runs after", async () => {
    const workflow = await createWorkflow(harness.engine.services, waitThenSay("never", 800));
    const started = await startExecution(harness.engine.services, workflow.id, {});
    const waiting = await waitForStep(harness.engine.db, started.id, "wait", "WAITING");

    const cancelled = await cancelExecution(harness.engine.services, started.id);
    expect(cancelled.status).toBe("CANCELLED");
    expect(cancelled.finishedAt).not.toBeNull();
    await expect(cancelExecution(harness.engine.services, started.id)).rejects.toBeInstanceOf(ConflictError);

    // Let the delay's job fire: it must find the step cancelled and do nothing.
    await waitForStep(harness.engine.db, started.id, "wait", "CANCELLED");
    const jobId = `${waiting.id}-w`;
    await waitUntil(async () => !(await harness.engine.queue.hasJob(jobId)), "the delay job to fire");
    const steps = await harness.engine.db.step.findMany({ where: { executionId: started.id } });
    expect(steps.map((s) => `${s.nodeId}=${s.status}`).sort()).toEqual(["start=SUCCEEDED", "wait=CANCELLED"]);
  });

  it("retries a failed execution from its failed step, keeping the succeeded ones", async () => {
    harness.server.script("/sometimes", { status: 500 });
    const workflow = await createWorkflow(harness.engine.services, {
      name: "notify, call, notify",
      graph: {
        nodes: [
          node("start", "start"),
          node("before", "send_notification", { toRole: "ops", message: "before" }),
          node("call", "http_call", {
            method: "POST",
            url: harness.server.url("/sometimes"),
            retry: { attempts: 1, backoffMs: 0 },
          }),
          node("after", "send_notification", { toRole: "ops", message: "after" }),
        ],
        edges: [edge("start", "before"), edge("before", "call"), edge("call", "after")],
      },
    });
    const started = await startExecution(harness.engine.services, workflow.id, {});
    const failed = await waitForExecution(harness.engine.db, started.id);
    expect(failed.status).toBe("FAILED");
    const before = stepsByNode(failed.steps);
    await expect(
      retryExecution(harness.engine.services, (await startExecution(harness.engine.services, workflow.id, {})).id),
    ).rejects.toThrow(/only FAILED executions can be retried/);

    harness.server.script("/sometimes", { status: 200, body: { ok: "now" } });
    const retried = await retryExecution(harness.engine.services, started.id);
    expect(retried.status).toBe("RUNNING");
    const done = await waitForExecution(harness.engine.db, started.id);
    const after = stepsByNode(done.steps);
    expect(done.status).toBe("SUCCEEDED");
    expect(done.error).toBeNull();
    expect(after.before?.id).toBe(before.before?.id); // kept, not re-run
    expect(after.before?.finishedAt).toEqual(before.before?.finishedAt);
    expect(after.call).toMatchObject({ id: before.call?.id, status: "SUCCEEDED", attempt: 1 });
    expect(after.after?.status).toBe("SUCCEEDED");
    expect(await harness.engine.db.notification.count({ where: { executionId: started.id } })).toBe(2);
  });

  it("cancels the running executions of a deleted workflow, which stops matching events", async () => {
    const trigger = { "==": [{ var: "kind" }, "doomed"] };
    const workflow = await createWorkflow(harness.engine.services, waitThenSay("never", 5000, trigger));
    const { executions } = await ingestEvent(harness.engine.services, { kind: "doomed" });
    await waitForStep(harness.engine.db, executions[0]?.id as string, "wait", "WAITING");
    await deleteWorkflow(harness.engine.services, workflow.id);
    expect(await harness.engine.db.execution.findUnique({ where: { id: executions[0]?.id } })).toMatchObject({
      status: "CANCELLED",
    });
    expect((await ingestEvent(harness.engine.services, { kind: "doomed" })).executions).toEqual([]);
  });
});

describe("triggers saved by another process", () => {
  it("match an event sent right after, although this process had its triggers loaded", async (ctx) => {
    const { engine } = harness;
    // Embedded mode has one process by design: there is no other process to save anything.
    if (engine.config.MODE === "embedded") ctx.skip();
    const trigger = { "==": [{ var: "kind" }, "saved-elsewhere"] };
    // This process has its triggers loaded (and matches with them) before the other one saves.
    const before = await ingestEvent(engine.services, { kind: "saved-elsewhere" });
    expect(before.executions).toEqual([]);
    const other = await startTestEngine(harness.database.url, { worker: false });
    try {
      const workflow = await createWorkflow(other.services, waitThenSay("elsewhere", 0, trigger));
      const after = await ingestEvent(engine.services, { kind: "saved-elsewhere" });
      expect(after.executions.map((e) => e.workflowId)).toEqual([workflow.id]);
      expect((await waitForExecution(engine.db, after.executions[0]?.id ?? "")).status).toBe("SUCCEEDED");
    } finally {
      await other.stop();
    }
  });
});
