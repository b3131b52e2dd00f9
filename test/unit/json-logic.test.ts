import { describe, expect, it } from "vitest";
import { checkRule, evaluate, isEmptyRule, isTruthy } from "../../src/engine/json-logic.js";

describe("JSONLogic evaluation", () => {
  it("evaluates the original engine's trigger over the event's top-level fields", () => {
    const rule = { and: [{ "==": [{ var: "lead.source" }, "LinkedIn"] }, { ">": [{ var: "lead.score" }, 75] }] };
    expect(evaluate(rule, { lead: { source: "LinkedIn", score: 90 } })).toBe(true);
    expect(evaluate(rule, { lead: { source: "LinkedIn", score: 50 } })).toBe(false);
    expect(evaluate(rule, {})).toBe(false);
  });

  it("reads step outputs and the execution id through $steps and $execution", () => {
    const facts = { temp: 31, $steps: { t1: { output: { status_code: 200 } } }, $execution: { id: "e1" } };
    expect(evaluate({ "==": [{ var: "$steps.t1.output.status_code" }, 200] }, facts)).toBe(true);
    expect(evaluate({ var: "$execution.id" }, facts)).toBe("e1");
  });

  it("supports var defaults, missing and array operators", () => {
    expect(evaluate({ var: ["nope", 5] }, {})).toBe(5);
    expect(evaluate({ missing: ["a", "b"] }, { a: 1 })).toEqual(["b"]);
    expect(evaluate({ some: [{ var: "xs" }, { ">": [{ var: "" }, 2] }] }, { xs: [1, 3] })).toBe(true);
  });

  it("never lets var reach prototype properties", () => {
    expect(evaluate({ var: "constructor" }, {})).toBeNull();
    expect(evaluate({ var: "__proto__" }, { a: 1 })).toBeNull();
    expect(evaluate({ var: "a.constructor.name" }, { a: {} })).toBeNull();
    expect(evaluate({ var: "toString" }, { a: 1 })).toBeNull();
    expect(evaluate({ var: "a.hasOwnProperty" }, { a: { b: 1 } })).toBeNull();
    expect(evaluate({ missing: ["constructor"] }, {})).toEqual(["constructor"]);
    expect(evaluate({ var: "xs.1" }, { xs: [10, 20] })).toBe(20);
  });

  it("has no log operator (it would write rule data to the server's console)", () => {
    expect(() => evaluate({ log: "x" }, {})).toThrow(/Unrecognized operation log/);
  });

  it("uses JSONLogic truthiness", () => {
    expect(isTruthy([])).toBe(false);
    expect(isTruthy("0")).toBe(true);
    expect(isTruthy(0)).toBe(false);
  });
});

describe("checkRule", () => {
  it("accepts well-formed rules", () => {
    expect(checkRule({ if: [{ var: "a" }, "yes", { cat: ["n", "o"] }] })).toEqual([]);
    expect(checkRule({ var: ["a.b", { "+": [1, 2] }] })).toEqual([]);
    expect(checkRule(true)).toEqual([]);
  });

  it("rejects unknown operators, multi-key rule objects and bad var arguments, with paths", () => {
    expect(checkRule({ or: [{ eval: "1" }, { "==": [1, 1], "!=": [1, 2] }] })).toEqual([
      { path: "or[0].eval", message: 'unknown JSONLogic operator "eval"' },
      { path: "or[1]", message: "a rule object must have exactly one operator, found 2" },
    ]);
    expect(checkRule({ var: true })).toEqual([{ path: "var", message: "var takes a path string or number" }]);
    expect(checkRule({ log: 1 })).toEqual([{ path: "log", message: 'unknown JSONLogic operator "log"' }]);
  });

  it("recognises empty rules", () => {
    expect(isEmptyRule({})).toBe(true);
    expect(isEmptyRule(null)).toBe(true);
    expect(isEmptyRule({ var: "x" })).toBe(false);
  });
});
