/**
 * Properties of the JSONLogic wrapper (src/engine/json-logic.ts), the only
 * place that runs rules: whatever the rule and the data, it returns a value or
 * throws an Error the caller can report (never a non-Error, never a stack
 * overflow); `var` reads own properties only; nothing writes to the built-in
 * prototypes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkRule, evaluate, isTruthy } from "../../../src/engine/json-logic.js";
import { anyRule, anything, dottedPath, json, key, validRule } from "./arbitraries.js";
import { watchPrototypes } from "./prototypes.js";

/** Evaluates, turning a throw into a value the property can look at. */
function attempt(rule: unknown, data: unknown): { value: unknown } | { error: unknown } {
  try {
    return { value: evaluate(rule, data) };
  } catch (error) {
    return { error };
  }
}

const MISSING = Symbol("missing");

/** What `var` may see: own properties along a dotted path; MISSING when one is not there. */
function ownValue(root: unknown, path: string): unknown {
  if (path === "") return root;
  let current = root;
  for (const part of path.split(".")) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, part)) return MISSING;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** A default for var: JSONLogic evaluates it as a rule, so plain values only. */
const fallbackValue = fc.oneof(
  fc.constantFrom(null, 0, "", "none", true, false),
  fc.integer(),
  fc.string({ maxLength: 5 }),
);

/** Objects and arrays (JSONLogic reads a falsy root such as 0 or "" as {}). */
const data = fc.oneof(
  fc.dictionary(key, json, { maxKeys: 5, noNullPrototype: true }),
  fc.array(json, { maxLength: 4 }),
);

watchPrototypes();

describe("JSONLogic: properties", () => {
  it("evaluates any rule on any data to a value or an Error, never anything else", () => {
    fc.assert(
      fc.property(fc.oneof(anyRule, json), fc.oneof(json, anything), (rule, facts) => {
        const outcome = attempt(rule, facts);
        if ("error" in outcome) {
          expect(outcome.error).toBeInstanceOf(Error);
          // A stack overflow would mean a rule can take the process's stack; these rules are shallow.
          expect(outcome.error).not.toBeInstanceOf(RangeError);
        } else {
          expect(() => isTruthy(outcome.value)).not.toThrow();
        }
      }),
      { numRuns: 600 },
    );
  });

  it("checks any value as a rule without throwing, naming each problem's place", () => {
    fc.assert(
      fc.property(fc.oneof(anyRule, anything), (rule) => {
        for (const problem of checkRule(rule, "trigger")) {
          expect(problem.path.startsWith("trigger")).toBe(true);
          expect(problem.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("evaluates the rules users write (comparisons, and/or/!, missing) on any data without throwing", () => {
    // Data without own toString/valueOf keys: see the known bug below.
    const coercible = (value: unknown): boolean =>
      typeof value !== "object" || value === null
        ? true
        : !Object.hasOwn(value, "toString") &&
          !Object.hasOwn(value, "valueOf") &&
          Object.values(value).every(coercible);
    fc.assert(
      fc.property(validRule, fc.oneof(json, data).filter(coercible), (rule, facts) => {
        expect(checkRule(rule)).toEqual([]);
        expect(attempt(rule, facts)).toHaveProperty("value");
      }),
      { numRuns: 300 },
    );
  });

  it("reads var from own properties only, with the default when the path is missing", () => {
    fc.assert(
      fc.property(data, fc.oneof(dottedPath, fc.constant("")), fallbackValue, (facts, path, fallback) => {
        const found = ownValue(facts, path);
        expect(evaluate({ var: path }, facts)).toEqual(found === MISSING ? null : found);
        const withDefault = evaluate({ var: [path, fallback] }, facts);
        expect(withDefault).toEqual(found === MISSING ? fallback : found);
        expect(typeof withDefault).not.toBe("function");
      }),
      { numRuns: 400 },
    );
  });

  it('reports as missing exactly the paths the data does not own (or holds null or "")', () => {
    fc.assert(
      fc.property(data, fc.array(dottedPath, { minLength: 1, maxLength: 4 }), (facts, paths) => {
        const expected = paths.filter((path) => {
          const value = ownValue(facts, path);
          return value === MISSING || value === null || value === "";
        });
        expect(evaluate({ missing: paths }, facts)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("lets no rule write to a prototype, whatever it does with __proto__-keyed data", () => {
    const hostile = fc.constantFrom(
      JSON.parse('{"__proto__": {"polluted": "yes"}, "a": [{"__proto__": {"isAdmin": true}}]}'),
      JSON.parse('{"constructor": {"prototype": {"polluted": "yes"}}}'),
    );
    const writers = fc.constantFrom(
      { merge: [{ var: "__proto__" }, { var: "a" }] },
      { map: [{ var: "a" }, { var: "__proto__" }] },
      { reduce: [{ var: "a" }, { merge: [{ var: "accumulator" }, { var: "current" }] }, {}] },
      { filter: [{ var: "a" }, true] },
      { cat: [{ var: "constructor.prototype" }] },
    );
    fc.assert(
      fc.property(fc.oneof(writers, anyRule), fc.oneof(hostile, json), (rule, facts) => {
        attempt(rule, facts);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  // Found by the property above: loose comparisons (==, !=, <, …) coerce objects to
  // primitives, which would call the data's own "toString" / "valueOf". An event such as
  // {"lead": {"source": {"toString": 0}}} (plain JSON) must not turn "no match" into an error.
  it("compares event data that owns toString or valueOf like any object: false, not an error", () => {
    const rule = { "==": [{ var: "lead.source" }, "LinkedIn"] };
    for (const source of [{ toString: 0 }, { valueOf: "x", toString: null }, [{ toString: 1 }]]) {
      expect(attempt(rule, { lead: { source } })).toEqual({ value: false });
    }
    // The own keys stay readable as data.
    expect(attempt({ var: "lead.source.toString" }, { lead: { source: { toString: 0 } } })).toEqual({ value: 0 });
  });

  // Found by the first property above: rules of these arities throw when they run, so
  // validation rejects them at save time instead of letting them fail every event.
  it.each<[unknown, string]>([
    [{ "*": [] }, "Reduce of empty array with no initial value"],
    [{ missing_some: [] }, "Cannot read properties of undefined"],
  ])("validation rejects %j, which would throw when evaluated (%s)", (rule) => {
    expect(checkRule(rule)).not.toEqual([]);
    expect(attempt(rule, {})).toHaveProperty("error");
  });
});
