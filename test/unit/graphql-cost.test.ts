/**
 * The query cost estimate (src/graphql/cost.ts) does work proportional to the
 * query's text, however its fragments spread each other: a fragment is costed
 * once and reused. Walked spread by spread, four levels of fragments each
 * spreading the next 120 times held the event loop for 47 s.
 */
import { parse, ValidationContext, validate } from "graphql";
import { afterEach, describe, expect, it, vi } from "vitest";
import { costLimitRule } from "../../src/graphql/cost.js";
import { schema } from "../../src/graphql/schema.js";

afterEach(() => {
  vi.restoreAllMocks();
});

function tower(levels: number, spreads: number): string {
  const fragments = Array.from({ length: levels }, (_, i) =>
    i === levels - 1
      ? `fragment F${i + 1} on Query { workflows(first: 1) { edges { node { id } } } }`
      : `fragment F${i + 1} on Query { ${Array.from({ length: spreads }, () => `...F${i + 2}`).join(" ")} }`,
  );
  return `query { ...F1 } ${fragments.join(" ")}`;
}

describe("query cost of fragments", () => {
  it("reads each fragment once however often it is spread, and counts every copy", () => {
    const lookups = vi.spyOn(ValidationContext.prototype, "getFragment");
    const errors = validate(schema, parse(tower(4, 20)), [costLimitRule(50_000)]);
    // 20³ copies of a leaf costing 4 (workflows, edges, node, id): 32,000, under the limit.
    expect(errors).toEqual([]);
    expect(lookups).toHaveBeenCalledTimes(4);
    // 30³ × 4 = 108,000: over it.
    const over = validate(schema, parse(tower(4, 30)), [costLimitRule(50_000)]);
    expect(over.map((e) => e.message)).toEqual([
      expect.stringMatching(/^query cost 108000 exceeds the limit of 50000/),
    ]);
  });
});
