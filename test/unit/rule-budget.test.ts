/**
 * Rules run within a budget of work (src/engine/rule-budget.ts): the hostile
 * rules an attacker sent (one ran the server out of memory, one held a request
 * 157 s) fail with a clear error instead, real rules are untouched, saved rules
 * cannot spell out huge lists, and matching lets the event loop breathe.
 */
import { describe, expect, it } from "vitest";
import { branchHandler } from "../../src/engine/handlers/branch.js";
import { checkRule, evaluate } from "../../src/engine/json-logic.js";
import { MAX_RULE_ARRAY_ITEMS, RuleBudget, RuleBudgetExceededError } from "../../src/engine/rule-budget.js";
import { TriggerIndex } from "../../src/engine/triggers.js";
import { DOUBLING_TRIGGER } from "../fixtures/hostile-rules.js";

const zeros = (count: number) => Array.from({ length: count }, () => 0);
const counting = (count: number) => Array.from({ length: count }, (_, i) => i);

function budgetError(run: () => unknown): RuleBudgetExceededError {
  try {
    run();
  } catch (error) {
    if (error instanceof RuleBudgetExceededError) return error;
    throw error;
  }
  throw new Error("the rule ran within its budget");
}

describe("rule budget", () => {
  it("stops the list-doubling trigger with a clear error instead of running out of memory", () => {
    const error = budgetError(() => evaluate(DOUBLING_TRIGGER, { kind: "k" }));
    expect(error.resource).toBe("elements");
    expect(error.message).toMatch(/needs more than 250,000 elements \(the budget of one evaluation\)/);
  });

  it("stops texts that double (cat) and nested lists that share parts turned into text", () => {
    const doublingText = { reduce: [zeros(40), { cat: [{ var: "accumulator" }, { var: "accumulator" }] }, "x"] };
    expect(budgetError(() => evaluate(doublingText, {})).resource).toBe("elements");
    // A list of two references to the previous list: tiny in memory, 2^40 items as text.
    const sharedParts = {
      "==": [{ reduce: [zeros(40), { merge: [[{ var: "accumulator" }], [{ var: "accumulator" }]] }, [0]] }, "x"],
    };
    expect(budgetError(() => evaluate(sharedParts, {})).resource).toBe("elements");
  });

  it("charges the lists var and missing_some turn into text (the second review's bypass)", () => {
    // reduce with a literal body [acc, acc] builds a list of shared halves with no merge or cat:
    // 2^40 leaves as text. var turned its path into text, missing_some its count, uncharged.
    const shared = { reduce: [zeros(40), [{ var: "accumulator" }, { var: "accumulator" }], [0]] };
    expect(budgetError(() => evaluate({ var: shared }, {})).resource).toBe("elements");
    expect(budgetError(() => evaluate({ missing_some: [shared, ["a"]] }, {})).resource).toBe("elements");
    // missing_some still answers as the library's does.
    expect(evaluate({ missing_some: [1, ["a", "b"]] }, { a: 1 })).toEqual([]);
    expect(evaluate({ missing_some: [2, ["a", "b", "c"]] }, { a: 1 })).toEqual(["b", "c"]);
  });

  it("stops a loop over a large event that searches a large list per item", () => {
    const rule = { some: [{ var: "items" }, { in: [{ var: "" }, counting(100_000)] }] };
    const items = counting(20_000).map((i) => -1 - i);
    expect(budgetError(() => evaluate(rule, { items })).resource).toBe("operations");
  });

  it("lets real rules through: loops over thousands of items, searches, texts", () => {
    const items = counting(5_000).map((i) => ({ sku: `sku-${i}`, price: i % 100 }));
    expect(evaluate({ some: [{ var: "items" }, { ">": [{ var: "price" }, 98] }] }, { items })).toBe(true);
    expect(evaluate({ filter: [{ var: "items" }, { "==": [{ var: "price" }, 7] }] }, { items })).toHaveLength(50);
    expect(evaluate({ in: ["needle", { var: "text" }] }, { text: `${"hay ".repeat(100_000)}needle` })).toBe(true);
    expect(evaluate({ in: [4_999, { var: "ids" }] }, { ids: counting(5_000) })).toBe(true);
  });

  it("is shared by evaluations that make one decision, and each evaluation gets its own by default", () => {
    const heavy = { map: [{ var: "items" }, { "+": [{ var: "" }, 1] }] };
    // Four operations an item (the +, its var, var's path, the 1): ≈ 40,000 of the 50,000.
    const data = { items: counting(10_000) };
    expect(() => evaluate(heavy, data)).not.toThrow();
    expect(() => evaluate(heavy, data)).not.toThrow();
    const shared = new RuleBudget();
    evaluate(heavy, data, shared);
    expect(() => evaluate(heavy, data, shared)).toThrow(RuleBudgetExceededError);
  });

  it("fails a branch step whose condition runs out, naming the case, not retried", async () => {
    const data = branchHandler.dataSchema.parse({
      cases: [
        { label: "cheap", condition: { "==": [{ var: "kind" }, "other"] }, next: "a" },
        { label: "bomb", condition: DOUBLING_TRIGGER, next: "b" },
        { else: true, next: "c" },
      ],
    });
    const outcome = await branchHandler.execute({
      data,
      execution: { id: "e1", payload: { kind: "k" } },
      steps: {},
      edgeTargets: [],
    } as never);
    expect(outcome).toMatchObject({ kind: "fail", retryable: false });
    expect(outcome.kind === "fail" && outcome.error).toMatch(
      /^branch condition cases\[1\]\.condition failed: the rule needs more than 250,000 elements/,
    );
  });
});

describe("rules at save time", () => {
  it(`refuses a list of more than ${MAX_RULE_ARRAY_ITEMS} items, naming where it is`, () => {
    expect(checkRule({ in: [{ var: "id" }, counting(MAX_RULE_ARRAY_ITEMS)] })).toEqual([]);
    expect(checkRule({ and: [true, { in: [{ var: "id" }, counting(100_000)] }] })).toEqual([
      { path: "and[1].in[1]", message: `a list in a rule may hold at most 1000 items; this one holds 100000` },
    ]);
  });
});

describe("trigger matching within budgets", () => {
  it("fails the matching of the workflow whose trigger ran out, and matches the others", () => {
    const index = new TriggerIndex();
    index.reset([
      { workflowId: "bomb", version: 1, trigger: DOUBLING_TRIGGER },
      { workflowId: "plain", version: 1, trigger: { "==": [{ var: "kind" }, "k"] } },
    ]);
    const result = index.match({ kind: "k" });
    expect(result.matched).toEqual(["plain"]);
    expect(result.errors).toEqual([{ workflowId: "bomb", reason: "budget", message: expect.stringMatching(/budget/) }]);
  });

  it("gives the event loop a turn between triggers once a slice of time is used up", async () => {
    const index = new TriggerIndex();
    index.reset(
      ["a", "b", "c"].map((id) => ({ workflowId: id, version: 1, trigger: { "==": [{ var: "kind" }, "k"] } })),
    );
    const order: string[] = [];
    // A slice of 0 ms: a turn after every trigger, so what was queued meanwhile runs before the answer.
    const matched = index.matchInSlices({ kind: "k" }, 0).then((result) => order.push(`matched ${result.matched}`));
    setImmediate(() => order.push("another request"));
    await matched;
    expect(order).toEqual(["another request", "matched a,b,c"]);
  });
});
