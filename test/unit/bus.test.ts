/**
 * The bus sends the changes of one commit as one message per topic and id,
 * and subscribers still get them one by one, in order.
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
  it("publishes a commit's changes as one message per topic and id, delivered one by one in order", async () => {
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
    expect(target.dispatched.sort()).toEqual(
      ["executionUpdated:e1", "notificationSent:*", "notificationSent:ops", "stepUpdated:e1"].sort(),
    );
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
    target.dispatchEvent(new CustomEvent("stepUpdated:e1", { detail: { kind: "step", ...change } }));
    expect((await next).value).toMatchObject({ seq: 3, nodeId: "a", status: "RUNNING" });
    await updates.return?.();
  });
});
