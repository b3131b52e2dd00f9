/**
 * Steps that touch nothing outside the engine's rows run in memory right
 * after the step before them and are recorded with it in one statement. What
 * users must still see: every step's row and output, templates and branch
 * conditions reading outputs not yet recorded, a gapless change log with each
 * step created, running and succeeded, one notification per step; a stop
 * before anything that reaches outside; and nothing at all from steps whose
 * record could not be made.
 */
import { describe, expect, it } from "vitest";
import { cancelExecution, startExecution } from "../../../src/services/executions.js";
import { createWorkflow } from "../../../src/services/workflows.js";
import { stepsByNode, waitForExecution, waitForStep, waitUntil } from "../../support/engine.js";
import { useFlowHarness } from "../../support/flow-harness.js";
import { edge } from "../../support/graphs.js";

const harness = useFlowHarness();

const notify = (id: string, message: string) => ({
  id,
  type: "send_notification",
  data: { toRole: "ops", message },
});

async function changeLog(executionId: string) {
  return harness.engine.db.executionChange.findMany({ where: { executionId }, orderBy: { seq: "asc" } });
}

describe("steps run in memory after the step before them", () => {
  it("are recorded with it, read its output, branch on it, and log every step's changes", async () => {
    const workflow = await createWorkflow(harness.engine.services, {
      name: "run ahead",
      graph: {
        nodes: [
          { id: "start", type: "start", data: {} },
          notify("first", "hello"),
          { id: "pause", type: "delay", data: { ms: 0 } },
          {
            id: "choose",
            type: "branch",
            data: {
              cases: [
                { condition: { "==": [{ var: "$steps.first.output.message" }, "hello"] }, next: "yes" },
                { else: true, next: "no" },
              ],
            },
          },
          notify("yes", "{{steps.first.output.message}} again"),
          notify("no", "never"),
        ],
        edges: [
          edge("start", "first"),
          edge("first", "pause"),
          edge("pause", "choose"),
          edge("choose", "yes"),
          edge("choose", "no"),
        ],
      },
    });
    const started = await startExecution(harness.engine.services, workflow.id, {});
    const execution = await waitForExecution(harness.engine.db, started.id);
    const steps = stepsByNode(execution.steps);

    expect(execution.status).toBe("SUCCEEDED");
    expect(execution.steps.map((s) => `${s.nodeId}=${s.status}`).sort()).toEqual([
      "choose=SUCCEEDED",
      "first=SUCCEEDED",
      "no=SKIPPED",
      "pause=SUCCEEDED",
      "start=SUCCEEDED",
      "yes=SUCCEEDED",
    ]);
    expect(steps.yes?.output).toEqual({ notified: "ops", message: "hello again" });
    expect(steps.first).toMatchObject({ attempt: 1, input: { toRole: "ops", message: "hello" }, next: ["pause"] });
    expect(steps.choose?.next).toEqual(["yes"]);
    // All recorded by one statement after the start step's job claimed it: one instant.
    const finished = new Set(["start", "first", "pause", "choose", "yes"].map((n) => steps[n]?.finishedAt?.getTime()));
    expect(finished.size).toBe(1);
    expect(steps.yes?.startedAt?.getTime()).toBe(steps.yes?.finishedAt?.getTime());

    const log = await changeLog(started.id);
    expect(log.map((c) => c.seq)).toEqual(log.map((_, i) => i + 1));
    const statusesOf = (nodeId: string) => log.filter((c) => c.nodeId === nodeId).map((c) => c.status);
    for (const nodeId of ["first", "pause", "choose", "yes"]) {
      expect(statusesOf(nodeId), nodeId).toEqual(["PENDING", "RUNNING", "SUCCEEDED"]);
    }
    expect(statusesOf("no")).toEqual(["SKIPPED"]);
    const sent = await harness.engine.db.notification.findMany({ where: { executionId: started.id } });
    expect(sent.map((n) => n.message).sort()).toEqual(["hello", "hello again"]);
  });

  it("stop before an HTTP call, and run on after it", async () => {
    harness.server.script("/call", { status: 200, body: { ok: true } });
    const workflow = await createWorkflow(harness.engine.services, {
      name: "around a call",
      graph: {
        nodes: [
          { id: "start", type: "start", data: {} },
          notify("before", "before the call"),
          { id: "call", type: "http_call", data: { method: "POST", url: harness.server.url("/call") } },
          notify("after", "after {{steps.call.output.status_code}}"),
        ],
        edges: [edge("start", "before"), edge("before", "call"), edge("call", "after")],
      },
    });
    const started = await startExecution(harness.engine.services, workflow.id, {});
    const execution = await waitForExecution(harness.engine.db, started.id);
    const steps = stepsByNode(execution.steps);
    expect(execution.status).toBe("SUCCEEDED");
    expect(steps.after?.output).toEqual({ notified: "ops", message: "after 200" });
    expect(steps.before?.finishedAt?.getTime()).toBe(steps.start?.finishedAt?.getTime());
    expect(steps.call?.startedAt?.getTime()).toBeGreaterThanOrEqual(steps.before?.finishedAt?.getTime() ?? Infinity);
    expect(steps.after?.finishedAt?.getTime()).toBe(steps.call?.finishedAt?.getTime());
    expect(harness.server.requestsTo("/call")).toHaveLength(1);
  });

  it("leave nothing behind when their record cannot be made (the execution was cancelled meanwhile)", async () => {
    harness.server.script("/slow", { status: 200, body: {} });
    harness.server.delayMs = 1000;
    try {
      const workflow = await createWorkflow(harness.engine.services, {
        name: "cancelled under a call",
        graph: {
          nodes: [
            { id: "start", type: "start", data: {} },
            { id: "call", type: "http_call", data: { method: "GET", url: harness.server.url("/slow") } },
            notify("then", "must not be sent"),
            notify("last", "must not be sent either"),
          ],
          edges: [edge("start", "call"), edge("call", "then"), edge("then", "last")],
        },
      });
      const started = await startExecution(harness.engine.services, workflow.id, {});
      const call = await waitForStep(harness.engine.db, started.id, "call", "RUNNING");
      const start = await harness.engine.db.step.findFirstOrThrow({
        where: { executionId: started.id, nodeId: "start" },
      });
      await cancelExecution(harness.engine.services, started.id);
      // The call returns, `then` and `last` run in memory, their record finds the execution
      // cancelled; the job (start's, which ran the call inline) ends after that attempt.
      await waitUntil(async () => harness.server.requestsTo("/slow").length === 1, "the call");
      await waitUntil(async () => !(await harness.engine.queue.hasJob(`${start.id}-1`)), "the job to end");
      const rows = await harness.engine.db.step.findMany({ where: { executionId: started.id } });
      expect(rows.map((s) => `${s.nodeId}=${s.status}`).sort()).toEqual(["call=CANCELLED", "start=SUCCEEDED"]);
      expect(call.id).toBe(rows.find((r) => r.nodeId === "call")?.id);
      expect(await harness.engine.db.notification.count({ where: { executionId: started.id } })).toBe(0);
      const execution = await harness.engine.db.execution.findUniqueOrThrow({ where: { id: started.id } });
      expect(execution.status).toBe("CANCELLED");
    } finally {
      harness.server.delayMs = 0;
    }
  });
});
