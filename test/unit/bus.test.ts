/**
 * The bus sends the changes of one commit as one message per channel (at
 * most three), and subscribers still get them one by one, in order, each
 * topic and id only its own.
 */
import { describe, expect, it } from "vitest";
import { type BusEventTarget, createBus } from "../../src/bus/bus.js";
import type { EngineChange } from "../../src/engine/ports.js";

/** The in-process target, counting what is dispatched on it. */
class CountingTarget extends EventTarget {
  readonly dispatched: string[] = [];
  override dispatchEvent(event: Event): boolean {
    this.dispatched.push(event.type);
    return super.dispatchEvent(event);
  }
}

const step = (seq: number, nodeId: string, status: "SUCCEEDED" | "PENDING" | "RUNNING"): EngineChange => ({
  type: "step",
  executionId: "e1",
  workflowId: "w1",
  stepId: `s-${nodeId}`,
  nodeId,
  status,
  seq,
});

describe("bus", () => {
  it("publishes a commit's changes as one message per channel, delivered one by one in order", async () => {
    const target = new CountingTarget();
    const bus = createBus(target as unknown as BusEventTarget);
    const updates = bus.subscribe("executionUpdated", "e1");
    const first = updates.next();
    await bus.publishChanges([
      step(5, "a", "SUCCEEDED"),
      { type: "notification", notificationId: "n1", executionId: "e1", stepId: "s-a", toRole: "ops" },
      step(6, "b", "PENDING"),
      step(7, "b", "RUNNING"),
    ]);
    expect(target.dispatched.sort()).toEqual(["executionUpdated:e1", "notificationSent:*"]);
    const received = [await first, await updates.next(), await updates.next()].map((r) => r.value);
    expect(received.map((u) => `${u?.seq} ${u?.kind === "step" ? u.nodeId : ""}=${u?.status}`)).toEqual([
      "5 a=SUCCEEDED",
      "6 b=PENDING",
      "7 b=RUNNING",
    ]);
    await updates.return?.();
  });

  it("passes a lone change, as publishers before arrays sent it, as it is", async () => {
    const target = new CountingTarget();
    const bus = createBus(target as unknown as BusEventTarget);
    const updates = bus.subscribe("stepUpdated", "e1");
    const next = updates.next();
    const { type: _type, ...change } = step(3, "a", "RUNNING") as Extract<EngineChange, { type: "step" }>;
    target.dispatchEvent(new CustomEvent("executionUpdated:e1", { detail: { kind: "step", ...change } }));
    expect((await next).value).toMatchObject({ seq: 3, nodeId: "a", status: "RUNNING" });
    await updates.return?.();
  });

  it("gives each narrower topic only its own changes, read from the shared channels", async () => {
    const target = new CountingTarget();
    const bus = createBus(target as unknown as BusEventTarget);
    const heard: string[] = [];
    const stops = [
      bus.listen("stepUpdated", "e1", (c) => heard.push(`stepUpdated ${c.nodeId}=${c.status}`)),
      bus.listen("executionsChanged", "w1", (c) => heard.push(`executionsChanged w1 ${c.executionId}=${c.status}`)),
      bus.listen("executionsChanged", "*", (c) => heard.push(`executionsChanged * ${c.executionId}=${c.status}`)),
      bus.listen("notificationSent", "ops", (c) => heard.push(`notificationSent ops ${c.notificationId}`)),
      bus.listen("notificationSent", "*", (c) => heard.push(`notificationSent * ${c.notificationId}`)),
    ];
    await bus.publishChanges([
      { type: "execution", executionId: "e1", workflowId: "w1", status: "RUNNING", seq: 1 },
      step(2, "a", "RUNNING"),
      { type: "notification", notificationId: "n1", executionId: "e1", stepId: "s-a", toRole: "ops" },
      { type: "notification", notificationId: "n2", executionId: "e1", stepId: "s-a", toRole: "sales" },
    ]);
    await bus.publishChanges([
      { type: "execution", executionId: "e2", workflowId: "w2", status: "SUCCEEDED", seq: 4 },
      { ...step(3, "x", "SUCCEEDED"), executionId: "e2" },
    ]);
    for (const stop of stops) stop();
    expect(heard.sort()).toEqual(
      [
        "stepUpdated a=RUNNING",
        "executionsChanged w1 e1=RUNNING",
        "executionsChanged * e1=RUNNING",
        "executionsChanged * e2=SUCCEEDED",
        "notificationSent ops n1",
        "notificationSent * n1",
        "notificationSent * n2",
      ].sort(),
    );
    // Three commits' worth of channels, not one per topic and id.
    expect(target.dispatched.sort()).toEqual(
      [
        "executionUpdated:e1",
        "executionUpdated:e2",
        "executionsChanged:*",
        "executionsChanged:*",
        "notificationSent:*",
      ].sort(),
    );
  });
});
