import { describe, expect, it } from "vitest";
import { checkFlowControl, renderFlowKeys, renderKey, renderPriority } from "../../src/engine/flow-control.js";

const context = (payload: unknown) => ({
  payload,
  steps: {},
  execution: { id: "x" },
  workflow: { id: "w", name: "w" },
});

describe("checkFlowControl", () => {
  it("normalizes one limit to a list and fills in the defaults", () => {
    const { problems, flow } = checkFlowControl({
      concurrency: { limit: 2 },
      rateLimit: { limit: 5, periodMs: 1000 },
      debounce: { periodMs: 100 },
    });
    expect(problems).toEqual([]);
    expect(flow).toEqual({
      concurrency: [{ key: null, limit: 2, strategy: "queue" }],
      rateLimit: { key: null, limit: 5, periodMs: 1000, mode: "throttle" },
      debounce: { key: null, periodMs: 100, maxDelayMs: null, use: "last" },
      priority: null,
    });
  });

  it("is null when nothing is set, and names every bad field", () => {
    expect(checkFlowControl({ concurrency: null, rateLimit: null })).toEqual({ problems: [], flow: null });
    const { problems } = checkFlowControl({
      concurrency: [{ limit: 1.5, extra: true }, "two"],
      priority: "high",
      debounce: { periodMs: 10, use: "every" },
    });
    expect(problems.map((p) => p.path)).toEqual(["concurrency[0].extra", "concurrency[1]", "debounce.use", "priority"]);
  });
});

describe("rendering an execution's keys", () => {
  it("renders keys as text (a missing value is the empty key) and a fairness key from all of them", () => {
    const flow = checkFlowControl({
      concurrency: [{ key: "{{payload.customer.id}}", limit: 1 }, { limit: 10 }],
      rateLimit: { key: "{{payload.region}}", limit: 5, periodMs: 1000 },
    }).flow;
    if (!flow) throw new Error("expected flow control");
    expect(renderFlowKeys(flow, context({ customer: { id: 42 }, region: "eu" }))).toEqual({
      concurrencyKeys: ["42", ""],
      rateKey: "eu",
      priority: 0,
      fairKey: JSON.stringify(["42", "", "eu"]),
    });
    expect(renderKey("{{payload.missing}}", context({}))).toBe("");
    const long = renderKey("{{payload.text}}", context({ text: "x".repeat(1000) }));
    expect(long).toHaveLength(200);
    expect(long).not.toBe(renderKey("{{payload.text}}", context({ text: `${"x".repeat(999)}y` })));
  });

  it("renders a priority to a whole number in range, anything else to 0", () => {
    expect(renderPriority("{{payload.p}}", context({ p: 7.6 }))).toBe(8);
    expect(renderPriority("{{payload.p}}", context({ p: 1000 }))).toBe(100);
    expect(renderPriority("{{payload.p}}", context({ p: "urgent" }))).toBe(0);
    expect(renderPriority("{{payload.p}}", context({}))).toBe(0);
    expect(renderPriority(-5, context({}))).toBe(-5);
  });
});
