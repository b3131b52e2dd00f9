import { describe, expect, it } from "vitest";
import { ingestEvent } from "../../src/services/events.js";
import { startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { stepsByNode, waitForExecution, waitForStep } from "../support/engine.js";
import { useFlowHarness } from "../support/flow-harness.js";
import { edge, node } from "../support/graphs.js";

const harness = useFlowHarness();
const services = () => harness.engine.services;
const db = () => harness.engine.db;

/** The id of the event that resumed a wait_for_event step. */
const resumedBy = (step: { output: unknown } | undefined) => (step?.output as { eventId?: string } | null)?.eventId;

let unique = 0;
/** A tag no other test uses, so the events of one test never satisfy another's waits. */
const tag = (name: string) => `${name}-${++unique}-${Date.now()}`;

/** Waits for this order's payment: the example of the issue. */
const paymentMatch = (type: string) => ({
  and: [{ "==": [{ var: "type" }, type] }, { "==": [{ var: "orderId" }, "{{payload.order.id}}"] }],
});

/** order.created → [delay] → wait for payment → say */
function orderFlow(orderType: string, paymentType: string, extra: { delayMs?: number; wait?: object } = {}) {
  const nodes = [
    node("start", "start"),
    ...(extra.delayMs ? [node("pause", "delay", { ms: extra.delayMs })] : []),
    node("payment", "wait_for_event", { match: paymentMatch(paymentType), ...extra.wait }),
    node("say", "send_notification", { toRole: "ops", message: "paid {{steps.payment.output.event.amount}}" }),
  ];
  const ids = nodes.map((n) => n.id);
  return {
    name: `order ${orderType}`,
    trigger: { "==": [{ var: "type" }, orderType] },
    graph: { nodes, edges: ids.slice(1).map((id, i) => edge(ids[i] as string, id)) },
  };
}

describe("wait_for_event", () => {
  it("resumes an order with its own payment, not another order's", async () => {
    const [order, payment] = [tag("order"), tag("payment")];
    await createWorkflow(services(), orderFlow(order, payment));
    const a = await ingestEvent(services(), { type: order, order: { id: "A-1" } });
    const b = await ingestEvent(services(), { type: order, order: { id: "B-2" } });
    const [execA, execB] = [a.executions[0]?.id as string, b.executions[0]?.id as string];
    await waitForStep(db(), execA, "payment", "WAITING");
    await waitForStep(db(), execB, "payment", "WAITING");

    const paid = await ingestEvent(services(), { type: payment, orderId: "B-2", amount: 30 });
    expect(paid.resumedStepIds).toHaveLength(1);
    const doneB = await waitForExecution(db(), execB);
    expect(doneB.status).toBe("SUCCEEDED");
    const steps = stepsByNode(doneB.steps);
    expect(steps.payment?.output).toMatchObject({
      event: { type: payment, orderId: "B-2", amount: 30 },
      eventId: paid.event.id,
      timedOut: false,
    });
    expect(steps.payment?.id).toBe(paid.resumedStepIds[0]);
    const said = await db().notification.findFirst({ where: { executionId: execB } });
    expect(said?.message).toBe("paid 30");

    // A is still waiting, and the wait says for what (rendered).
    const waitingA = await db().step.findFirstOrThrow({ where: { executionId: execA, nodeId: "payment" } });
    expect(waitingA.status).toBe("WAITING");
    expect(waitingA.resumeAt).toBeNull();
    const wait = await db().eventWait.findUniqueOrThrow({ where: { stepId: waitingA.id } });
    expect(JSON.stringify(wait.match)).toContain('"A-1"');
    await ingestEvent(services(), { type: payment, orderId: "A-1", amount: 10 });
    expect((await waitForExecution(db(), execA)).status).toBe("SUCCEEDED");
  });

  it("counts a payment sent right after the order, and one sent during a delay before the wait", async () => {
    const [order, payment] = [tag("order"), tag("payment")];
    await createWorkflow(services(), orderFlow(order, payment, { delayMs: 400 }));
    // Same millisecond: both sent at once.
    const [created, paid] = await Promise.all([
      ingestEvent(services(), { type: order, order: { id: "S-1" } }),
      ingestEvent(services(), { type: payment, orderId: "S-1", amount: 5 }),
    ]);
    // During the delay.
    const later = await ingestEvent(services(), { type: order, order: { id: "D-1" } });
    await waitForStep(db(), later.executions[0]?.id as string, "pause", "WAITING");
    const duringDelay = await ingestEvent(services(), { type: payment, orderId: "D-1", amount: 6 });
    expect(duringDelay.resumedStepIds).toEqual([]);

    // Sent at once, the two are numbered in either order: the payment counts when received after the order.
    const sameMs = created.executions[0]?.id as string;
    if (paid.event.seq > created.event.seq) {
      const done = await waitForExecution(db(), sameMs);
      expect(resumedBy(stepsByNode(done.steps).payment)).toBe(paid.event.id);
    } else {
      await waitForStep(db(), sameMs, "payment", "WAITING");
    }
    const done = await waitForExecution(db(), later.executions[0]?.id as string);
    expect(done.status).toBe("SUCCEEDED");
    expect(resumedBy(stepsByNode(done.steps).payment)).toBe(duringDelay.event.id);
  });

  it("times out and continues with timedOut true, or fails when told to", async () => {
    const [order, payment] = [tag("order"), tag("payment")];
    const flow = orderFlow(order, payment, { wait: { timeoutMs: 300 } });
    flow.graph.nodes.push(node("late", "send_notification", { toRole: "ops", message: "no payment" }));
    const branch = node("route", "branch", {
      cases: [
        { condition: { "==": [{ var: "$steps.payment.output.timedOut" }, true] }, next: "late" },
        { else: true, next: "say" },
      ],
    });
    flow.graph.nodes.push(branch);
    flow.graph.edges = [
      edge("start", "payment"),
      edge("payment", "route"),
      edge("route", "late"),
      edge("route", "say"),
    ];
    await createWorkflow(services(), flow);
    const failing = orderFlow(`${order}-f`, payment, { wait: { timeout: { seconds: 0.3 }, onTimeout: "fail" } });
    await createWorkflow(services(), failing);

    const continued = await ingestEvent(services(), { type: order, order: { id: "T-1" } });
    const failed = await ingestEvent(services(), { type: `${order}-f`, order: { id: "T-2" } });
    const waiting = await waitForStep(db(), continued.executions[0]?.id as string, "payment", "WAITING");
    expect(waiting.resumeAt).not.toBeNull();

    const done = await waitForExecution(db(), continued.executions[0]?.id as string);
    expect(done.status).toBe("SUCCEEDED");
    const steps = stepsByNode(done.steps);
    expect(steps.payment?.output).toEqual({ timedOut: true, event: null });
    expect(steps.late?.status).toBe("SUCCEEDED");
    expect(steps.say?.status).toBe("SKIPPED");

    const gaveUp = await waitForExecution(db(), failed.executions[0]?.id as string);
    expect(gaveUp.status).toBe("FAILED");
    expect(stepsByNode(gaveUp.steps).payment?.error).toBe("timed out waiting for event");
    expect(gaveUp.error).toBe("payment: timed out waiting for event");
    expect(await db().eventWait.count({ where: { executionId: { in: [done.id, gaveUp.id] } } })).toBe(0);
  });

  it("consumes two events with two waits in sequence, and one event resumes waits in two workflows", async () => {
    const [order, ping] = [tag("order"), tag("ping")];
    const match = { "==": [{ var: "type" }, ping] };
    const twice = {
      name: "two waits",
      trigger: { "==": [{ var: "type" }, order] },
      graph: {
        nodes: [
          node("start", "start"),
          node("first", "wait_for_event", { match }),
          node("second", "wait_for_event", { match }),
        ],
        edges: [edge("start", "first"), edge("first", "second")],
      },
    };
    const once = {
      ...twice,
      name: "one wait",
      graph: { nodes: twice.graph.nodes.slice(0, 2), edges: twice.graph.edges.slice(0, 1) },
    };
    await createWorkflow(services(), twice);
    await createWorkflow(services(), once);
    const started = await ingestEvent(services(), { type: order });
    const [two, one] = started.executions.map((e) => e.id) as [string, string];
    await waitForStep(db(), two, "first", "WAITING");
    await waitForStep(db(), one, "first", "WAITING");

    const p1 = await ingestEvent(services(), { type: ping, n: 1 });
    expect(p1.resumedStepIds).toHaveLength(2); // one wait in each workflow
    expect((await waitForExecution(db(), one)).status).toBe("SUCCEEDED");
    await waitForStep(db(), two, "second", "WAITING");
    const p2 = await ingestEvent(services(), { type: ping, n: 2 });
    expect(p2.resumedStepIds).toHaveLength(1);
    const done = stepsByNode((await waitForExecution(db(), two)).steps);
    expect(resumedBy(done.first)).toBe(p1.event.id);
    expect(resumedBy(done.second)).toBe(p2.event.id);
  });

  it("with lookbackMs, counts an event received before the trigger within it, not one outside it", async () => {
    const [ping, other] = [tag("ping"), tag("other")];
    const lookback = (ms: number) => ({
      name: `lookback ${ms}`,
      trigger: {},
      graph: {
        nodes: [
          node("start", "start"),
          node("wait", "wait_for_event", { match: { "==": [{ var: "type" }, ping] }, lookbackMs: ms }),
        ],
        edges: [edge("start", "wait")],
      },
    });
    const early = await ingestEvent(services(), { type: ping, n: "early" });
    await ingestEvent(services(), { type: other });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const wide = await createWorkflow(services(), lookback(60_000));
    const narrow = await createWorkflow(services(), lookback(100));
    const a = await startExecution(services(), wide.id, {});
    const b = await startExecution(services(), narrow.id, {});
    const done = await waitForExecution(db(), a.id);
    expect(resumedBy(stepsByNode(done.steps).wait)).toBe(early.event.id);
    await waitForStep(db(), b.id, "wait", "WAITING");
  });
});
