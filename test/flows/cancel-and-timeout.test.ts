import { describe, expect, it } from "vitest";
import { explainEvent, ingestEvent } from "../../src/services/events.js";
import { createWorkflow, updateWorkflow } from "../../src/services/workflows.js";
import { stepsByNode, waitForExecution, waitForStep, waitUntil } from "../support/engine.js";
import { useFlowHarness } from "../support/flow-harness.js";
import { edge, node } from "../support/graphs.js";

const harness = useFlowHarness();
const services = () => harness.engine.services;
const db = () => harness.engine.db;

let unique = 0;
const tag = (name: string) => `${name}-${++unique}-${Date.now()}`;

/** start → each node in turn, started by `type`, cancelled by `cancelType` for the same order. */
function orderFlow(type: string, cancelType: string, nodes: ReturnType<typeof node>[]) {
  const all = [node("start", "start"), ...nodes];
  return {
    name: `order ${type}`,
    trigger: { "==": [{ var: "type" }, type] },
    cancelOn: {
      and: [{ "==": [{ var: "type" }, cancelType] }, { "==": [{ var: "orderId" }, "{{payload.order.id}}"] }],
    },
    graph: { nodes: all, edges: all.slice(1).map((n, i) => edge(all[i]?.id as string, n.id)) },
  };
}

describe("cancelOn", () => {
  it("cancels an execution during a delay and during a wait, and only the matching one", async () => {
    const [order, cancel] = [tag("order"), tag("cancel")];
    const workflow = await createWorkflow(
      services(),
      orderFlow(order, cancel, [
        node("pause", "delay", { ms: 60_000 }),
        node("payment", "wait_for_event", { match: { "==": [{ var: "type" }, "never"] } }),
      ]),
    );
    expect(workflow.cancelOn).toMatchObject({ and: expect.any(Array) });
    const waitFirst = await createWorkflow(
      services(),
      orderFlow(`${order}-w`, cancel, [
        node("payment", "wait_for_event", { match: { "==": [{ var: "type" }, "never"] } }),
      ]),
    );
    const inDelay = (await ingestEvent(services(), { type: order, order: { id: "C-1" } })).executions[0]?.id as string;
    const kept = (await ingestEvent(services(), { type: order, order: { id: "C-2" } })).executions[0]?.id as string;
    const inWait = (await ingestEvent(services(), { type: `${order}-w`, order: { id: "C-3" } })).executions[0]
      ?.id as string;
    await waitForStep(db(), inDelay, "pause", "WAITING");
    await waitForStep(db(), inWait, "payment", "WAITING");

    const explained = await explainEvent(services(), { type: cancel, orderId: "C-1" });
    expect(explained.cancelledExecutionIds).toEqual([inDelay]);
    expect(await db().execution.findUniqueOrThrow({ where: { id: inDelay } })).toMatchObject({ status: "RUNNING" });

    await ingestEvent(services(), { type: cancel, orderId: "C-1" });
    await ingestEvent(services(), { type: cancel, orderId: "C-3" });
    const cancelled = await waitForExecution(db(), inDelay);
    expect(cancelled.status).toBe("CANCELLED");
    expect(stepsByNode(cancelled.steps).pause?.status).toBe("CANCELLED");
    const cancelledInWait = await waitForExecution(db(), inWait);
    expect(cancelledInWait.status).toBe("CANCELLED");
    expect(stepsByNode(cancelledInWait.steps).payment?.status).toBe("CANCELLED");
    expect(await db().eventWait.count({ where: { executionId: { in: [inDelay, inWait] } } })).toBe(0);
    expect(await db().execution.findUniqueOrThrow({ where: { id: kept } })).toMatchObject({ status: "RUNNING" });
    expect(waitFirst.id).toBeDefined();
  });

  it("cancels at once an execution whose cancel event arrived with its trigger", async () => {
    const [order, cancel] = [tag("order"), tag("cancel")];
    await createWorkflow(services(), orderFlow(order, cancel, [node("pause", "delay", { ms: 60_000 })]));
    const created = await ingestEvent(services(), { type: order, order: { id: "X-1" } });
    const [again] = await Promise.all([
      ingestEvent(services(), { type: order, order: { id: "X-2" } }),
      ingestEvent(services(), { type: cancel, orderId: "X-2" }),
    ]);
    await ingestEvent(services(), { type: cancel, orderId: "X-1" });
    expect((await waitForExecution(db(), created.executions[0]?.id as string)).status).toBe("CANCELLED");
    // Sent together: cancelled when the cancel was received after the order (receive order), else it runs on.
    const raced = again.executions[0]?.id as string;
    const cancelEvent = await db().event.findFirstOrThrow({
      where: { payload: { equals: { type: cancel, orderId: "X-2" } } },
    });
    if (cancelEvent.seq > again.event.seq) expect((await waitForExecution(db(), raced)).status).toBe("CANCELLED");
    else await waitForStep(db(), raced, "pause", "WAITING");
  });

  it("forgets the cancelOn of an execution that finished without it", async () => {
    const [order, cancel] = [tag("order"), tag("cancel")];
    await createWorkflow(services(), orderFlow(order, cancel, [node("say", "send_notification", { message: "done" })]));
    const started = await ingestEvent(services(), { type: order, order: { id: "F-1" } });
    const id = started.executions[0]?.id as string;
    expect((await waitForExecution(db(), id)).status).toBe("SUCCEEDED");
    // The reconciler sweeps it; an event for it later does nothing.
    await waitUntil(async () => (await db().eventWait.count({ where: { executionId: id } })) === 0, "the sweep");
    const late = await ingestEvent(services(), { type: cancel, orderId: "F-1" });
    expect(late.resumedStepIds).toEqual([]);
    expect(await db().execution.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "SUCCEEDED" });
  });

  it("refuses a malformed cancelOn or timeout at save time, naming the field", async () => {
    const bad = { name: "bad", graph: { nodes: [], edges: [] } };
    await expect(createWorkflow(services(), { ...bad, cancelOn: { nope: [1] } })).rejects.toMatchObject({
      problems: [expect.objectContaining({ path: expect.stringContaining("cancelOn") })],
    });
    await expect(createWorkflow(services(), { ...bad, timeoutMs: 0 })).rejects.toMatchObject({
      problems: [expect.objectContaining({ path: "timeoutMs" })],
    });
  });
});

describe("execution timeout", () => {
  it("fails an execution whose http_call hangs, aborting the call, and ends waits", async () => {
    let socketClosed = false;
    harness.server.route("/held", (req) => req.socket.once("close", () => (socketClosed = true)));
    const type = tag("slow");
    const workflow = await createWorkflow(services(), {
      name: "slow call",
      trigger: { "==": [{ var: "type" }, type] },
      timeoutMs: 800,
      graph: {
        nodes: [
          node("start", "start"),
          node("call", "http_call", { url: harness.server.url("/held"), timeoutMs: 60_000 }),
          node("wait", "wait_for_event", { match: { "==": [{ var: "type" }, "never"] } }),
        ],
        edges: [edge("start", "call"), edge("start", "wait")],
      },
    });
    expect(workflow.timeoutMs).toBe(800);
    const started = await ingestEvent(services(), { type });
    const id = started.executions[0]?.id as string;
    await waitUntil(async () => harness.server.requestsTo("/held").length === 1, "the call to reach the server");
    const done = await waitForExecution(db(), id);
    expect(done.status).toBe("FAILED");
    expect(done.error).toBe("execution timed out after 800 ms");
    const steps = stepsByNode(done.steps);
    expect(steps.call?.status).toBe("CANCELLED");
    expect(steps.wait?.status).toBe("CANCELLED");
    await waitUntil(async () => socketClosed, "the held request to be aborted");
    expect(await db().eventWait.count({ where: { executionId: id } })).toBe(0);

    // Taking the timeout away: executions after that run without one.
    const updated = await updateWorkflow(services(), workflow.id, { timeoutMs: null });
    expect(updated.timeoutMs).toBeNull();
  });
});
