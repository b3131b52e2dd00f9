/**
 * The JSON input checker (src/http/json-input.ts) finds the first value
 * PostgreSQL or the engine's walkers could not take, in document order, and
 * names where it is; it builds that path only when it finds one.
 */
import { describe, expect, it } from "vitest";
import { findJsonProblem, formatJsonPath } from "../../src/http/json-input.js";

const nested = (depth: number): unknown => {
  let value: unknown = "leaf";
  for (let i = 0; i < depth; i++) value = i % 2 ? { a: value } : [value];
  return value;
};

describe("findJsonProblem", () => {
  it("accepts clean values of any shape", () => {
    expect(findJsonProblem({ lead: { tags: ["a", 1, null, true, { b: [] }] } })).toBeUndefined();
    expect(findJsonProblem("text")).toBeUndefined();
    expect(findJsonProblem(nested(100))).toBeUndefined();
  });

  it("names the path of a bad text, a bad key and the root", () => {
    expect(findJsonProblem({ lead: { tags: ["ok", "bad\u0000"] } })).toEqual({
      path: ["lead", "tags", 1],
      message: "text must not contain NUL (\\u0000) characters",
    });
    expect(findJsonProblem({ a: [{ "k\uD800": 1 }] })).toMatchObject({ path: ["a", 0, "k\uD800"] });
    expect(findJsonProblem("\u0000")).toMatchObject({ path: [] });
  });

  it("reports the first problem in document order, keys of an object before its members", () => {
    expect(findJsonProblem([["x", "\u0000"], "\u0000"])?.path).toEqual([0, 1]);
    expect(findJsonProblem({ a: "\u0000", "\u0000": 1 })?.message).toMatch(/^key /);
    expect(findJsonProblem({ a: { b: "\u0000" }, c: "\u0000" })?.path).toEqual(["a", "b"]);
  });

  it("stops at the depth limit, naming where", () => {
    const problem = findJsonProblem(nested(101));
    expect(problem?.message).toBe("nested deeper than 100 levels");
    expect(problem?.path).toHaveLength(100);
    expect(formatJsonPath("$", problem?.path ?? [])).toMatch(/… \(100 levels\)$/);
    expect(findJsonProblem({ a: { b: {} } }, 2)).toEqual({ path: ["a", "b"], message: "nested deeper than 2 levels" });
  });

  it("walks a 490,000-item list", () => {
    const items = Array.from({ length: 490_000 }, (_, i) => ({ id: i, name: `item ${i}` }));
    expect(findJsonProblem({ items })).toBeUndefined();
    items[489_999] = { id: 0, name: "\u0000" };
    expect(findJsonProblem({ items })?.path).toEqual(["items", 489_999, "name"]);
  });
});
