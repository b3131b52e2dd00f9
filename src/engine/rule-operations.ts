/**
 * The JSONLogic operators that can read, copy or convert a lot of data, as
 * json-logic-js 2.0.5 defines them, but charging the evaluation's budget
 * (rule-budget.ts) before the work starts. json-logic.ts installs them in
 * place of the library's own; a differential property test
 * (test/unit/properties/rule-budget.property.test.ts) checks they answer
 * exactly as the library's do.
 *
 * Most operators convert their operands (`==` and `<` compare a list as its
 * text, `+` parses it), so a list operand is charged as text. `merge` and `in`
 * read lists as lists, item by item.
 */
import type { RuleBudget } from "./rule-budget.js";

type Operation = (this: unknown, ...args: unknown[]) => unknown;

/** Loose JavaScript operators on values JSONLogic leaves untyped. */
type Loose = number;

export function budgetedOperations(budget: () => RuleBudget | undefined): Record<string, Operation> {
  /** Charges every list operand as text (and, for text builders, every text operand), then runs the operator. */
  const charging =
    (copiesText: boolean) =>
    (operator: (...args: unknown[]) => unknown): Operation =>
    (...args) => {
      const spending = budget();
      if (spending) {
        for (const arg of args) {
          spending.listAsText(arg);
          if (copiesText) spending.text(arg);
        }
      }
      return operator(...args);
    };
  const converting = charging(false);
  const buildingText = charging(true);

  return {
    // biome-ignore lint/suspicious/noDoubleEquals: JSONLogic's == is JavaScript's loose equality.
    "==": converting((a, b) => a == b),
    // biome-ignore lint/suspicious/noDoubleEquals: JSONLogic's != is JavaScript's loose inequality.
    "!=": converting((a, b) => a != b),
    ">": converting((a, b) => (a as Loose) > (b as Loose)),
    ">=": converting((a, b) => (a as Loose) >= (b as Loose)),
    "<": converting((a, b, c) =>
      c === undefined ? (a as Loose) < (b as Loose) : (a as Loose) < (b as Loose) && (b as Loose) < (c as Loose),
    ),
    "<=": converting((a, b, c) =>
      c === undefined ? (a as Loose) <= (b as Loose) : (a as Loose) <= (b as Loose) && (b as Loose) <= (c as Loose),
    ),
    "%": converting((a, b) => (a as Loose) % (b as Loose)),
    "-": converting((a, b) => (b === undefined ? -(a as Loose) : (a as Loose) - (b as Loose))),
    "/": converting((a, b) => (a as Loose) / (b as Loose)),
    "+": converting((...args) => args.reduce<number>((sum, x) => parseFloat(String(sum)) + parseFloat(x as string), 0)),
    // Without a starting value, as the library: a single operand comes back unparsed ("3" stays "3").
    "*": converting((...args) => args.reduce((product, x) => parseFloat(product as string) * parseFloat(x as string))),
    min: converting((...args) => Math.min(...(args as Loose[]))),
    max: converting((...args) => Math.max(...(args as Loose[]))),
    cat: buildingText((...args) => args.join("")),
    substr: buildingText((source, start, end) => {
      const text = String(source);
      if ((end as Loose) < 0) {
        // A negative end counts from the end, as in PHP (JavaScript's substr has no such end).
        const rest = text.substr(start as Loose);
        return rest.substr(0, rest.length + (end as Loose));
      }
      return text.substr(start as Loose, end as Loose);
    }),
    in(needle, haystack) {
      const searchable = haystack as { indexOf?: (value: unknown) => number } | null | undefined;
      if (!searchable || typeof searchable.indexOf === "undefined") return false;
      const spending = budget();
      if (spending && typeof haystack === "string") {
        spending.text(haystack);
        spending.listAsText(needle);
      } else spending?.listItems(haystack);
      return searchable.indexOf(needle) !== -1;
    },
    merge(...args) {
      const spending = budget();
      if (spending) for (const arg of args) spending.listItems(arg);
      return args.reduce<unknown[]>((merged, arg) => merged.concat(arg), []);
    },
  };
}
