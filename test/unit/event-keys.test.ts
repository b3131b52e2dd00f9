import { describe, expect, it } from "vitest";
import { eventKeys, waitKey } from "../../src/engine/event-keys.js";
import { evaluate, isTruthy } from "../../src/engine/json-logic.js";

const payment = (id: unknown) => ({
  and: [{ "==": [{ var: "type" }, "payment"] }, { "==": [{ var: "orderId" }, id] }],
});

describe("waitKey", () => {
  it("files a wait under its templated equality when it knows the rule as written", () => {
    expect(waitKey(payment("A-1"), payment("{{payload.order.id}}"))).toEqual({ path: "orderId", value: "A-1" });
    // Without it, the first equality that can be filed.
    expect(waitKey(payment("A-1"))).toEqual({ path: "type", value: "payment" });
  });

  it("files numbers as #<n>, and not text that loosely equals many values", () => {
    expect(waitKey({ "==": [{ var: "n" }, 90] })).toEqual({ path: "n", value: "#90" });
    expect(waitKey({ "==": [{ var: "n" }, "90"] })).toEqual({ path: "n", value: "90" });
    expect(waitKey({ "==": [{ var: "n" }, " 90"] })).toBeUndefined();
    expect(waitKey({ "==": [{ var: "n" }, "90.0"] })).toBeUndefined();
    expect(waitKey({ or: [{ "==": [{ var: "n" }, "a"] }, { "==": [{ var: "n" }, "b"] }] })).toBeUndefined();
  });
});

describe("eventKeys", () => {
  /** Every rule filed under a key must find it among the keys of any event that satisfies it. */
  const cases: [unknown, unknown][] = [
    ["90", { n: 90 }],
    ["90", { n: "90" }],
    [90, { n: "90.0" }],
    [90, { n: " 90" }],
    [90, { n: [90] }],
    ["a", { n: ["a"] }],
    [1, { n: true }],
    ["1", { n: true }],
    [0, { n: "" }],
    ["x", { n: "x" }],
  ];
  it.each(cases)("an event satisfying n == %j lists the wait's key", (constant, event) => {
    const rule = { "==": [{ var: "n" }, constant] };
    expect(isTruthy(evaluate(rule, event))).toBe(true);
    const key = waitKey(rule);
    expect(key).toBeDefined();
    expect(eventKeys(event)).toContainEqual(key);
  });

  it("walks nested objects and arrays by JSONLogic's dotted paths", () => {
    expect(eventKeys({ order: { id: "A-1", items: [{ sku: "s" }] } })).toEqual(
      expect.arrayContaining([
        { path: "order.id", value: "A-1" },
        { path: "order.items.0.sku", value: "s" },
      ]),
    );
  });
});
