/**
 * The budgeted operators (src/engine/rule-operations.ts) replace json-logic-js's
 * own to charge the evaluation's budget: they must answer exactly as the
 * library's do. Checked against a second, untouched instance of json-logic-js
 * on random rules over those operators, within the budget.
 */
import { createRequire } from "node:module";
import fc from "fast-check";
import installed from "json-logic-js";
import { describe, expect, it } from "vitest";
import { evaluate } from "../../../src/engine/json-logic.js";
import { budgetedOperations } from "../../../src/engine/rule-operations.js";

/** A fresh json-logic-js, loaded past the module cache, that the engine never patched. */
function untouchedJsonLogic(): typeof installed {
  const require = createRequire(import.meta.url);
  const file = require.resolve("json-logic-js");
  const cached = require.cache[file];
  delete require.cache[file];
  try {
    return require(file) as typeof installed;
  } finally {
    if (cached) require.cache[file] = cached;
  }
}

const library = untouchedJsonLogic();
const BUDGETED = Object.keys(budgetedOperations(() => undefined));

const scalar = fc.oneof(
  fc.constantFrom(null, true, false, 0, 1, -1, 2.5, "", "0", "1", "2", "abc", "a,b", "-3", "1e3", "x"),
  fc.integer({ min: -50, max: 50 }),
  fc.string({ maxLength: 4 }),
);
/**
 * Data the engine's own `var` reads as the library's does: no keys that reach
 * prototypes, no paths into texts (it reads own properties of objects and
 * lists only, on purpose).
 */
const data = fc.record(
  { a: fc.array(scalar, { maxLength: 4 }), b: fc.array(scalar, { maxLength: 4 }), c: scalar },
  { requiredKeys: [] },
);

const rule: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  rule: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.record({ var: fc.constantFrom("a", "b", "c", "a.0", "b.1", "") }),
    fc.array(tie("rule"), { maxLength: 3 }),
    fc
      .tuple(fc.constantFrom(...BUDGETED, "if", "and", "or", "!", "==="), fc.array(tie("rule"), { maxLength: 4 }))
      .map(([operator, args]) => ({ [operator]: args })),
    fc
      .tuple(fc.constantFrom("map", "filter", "all", "some", "none"), tie("rule"), tie("rule"))
      .map(([operator, list, body]) => ({ [operator]: [list, body] })),
    fc.tuple(tie("rule"), tie("rule"), tie("rule")).map(([list, body, initial]) => ({ reduce: [list, body, initial] })),
  ),
})).rule;

type Outcome = { value: unknown } | { error: string };

function outcome(run: () => unknown): Outcome {
  try {
    return { value: run() };
  } catch (error) {
    return { error: (error as Error).constructor.name };
  }
}

describe("budgeted operators: properties", () => {
  it("uses a separate, untouched copy of json-logic-js as the reference", () => {
    expect(library).not.toBe(installed);
    expect(library.apply).not.toBe(installed.apply);
  });

  it("answer as json-logic-js's own operators do", () => {
    fc.assert(
      fc.property(rule, data, (r, facts) => {
        const engine = outcome(() => evaluate(r, facts));
        const reference = outcome(() => library.apply(r as never, facts));
        expect(engine).toEqual(reference);
      }),
      { numRuns: 3000 },
    );
  });
});
