/**
 * The one place that imports json-logic-js. Evaluation for triggers and branch
 * conditions, within a budget of work (rule-budget.ts), plus the
 * well-formedness check that validation runs on every save so a bad rule is
 * rejected up front instead of failing at run time.
 */
import jsonLogic from "json-logic-js";
import { MAX_RULE_ARRAY_ITEMS, RuleBudget } from "./rule-budget.js";
import { budgetedOperations } from "./rule-operations.js";

export type JsonLogicRule = unknown;

/** A problem found in a rule, with a path relative to the rule's root ("" for the root). */
export interface RuleProblem {
  path: string;
  message: string;
}

/** The budget of the evaluation under way (evaluation is synchronous: one at a time). */
let activeBudget: RuleBudget | undefined;

/**
 * `var` that only reads own properties. The library's version walks `data[key]`,
 * which reaches `constructor`, `__proto__` and other inherited members.
 */
function safeVar(this: unknown, path?: unknown, fallback?: unknown): unknown {
  // The path is turned into text: a list a rule built (lists of shared halves double at every
  // step of a reduce) would be converted whole, outside every other charge.
  activeBudget?.listAsText(path);
  const notFound = fallback === undefined ? null : fallback;
  if (path === undefined || path === null || path === "") return this;
  let current: unknown = this;
  for (const key of String(path).split(".")) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, key)) return notFound;
    current = (current as Record<string, unknown>)[key];
    if (current === undefined) return notFound;
  }
  return current;
}

/**
 * `missing_some` as the library defines it, but charging its count: compared
 * with a number, a list count is turned into text.
 */
function missingSome(this: unknown, needCount: unknown, options: unknown): unknown {
  activeBudget?.listAsText(needCount);
  const missing = jsonLogic.apply({ missing: options } as jsonLogic.RulesLogic, this) as unknown[];
  return (options as { length: number }).length - missing.length >= (needCount as number) ? [] : missing;
}

jsonLogic.add_operation("var", safeVar);
jsonLogic.add_operation("missing_some", missingSome);
// `log` writes rule values to the server's console; not something a rule author should reach.
jsonLogic.rm_operation("log");

// json-logic-js recurses through jsonLogic.apply once per rule node and once per item a loop
// operator (map, filter, reduce, all, some, none) visits: counting there counts all of them.
const applyRule = jsonLogic.apply;
jsonLogic.apply = (logic, data) => {
  activeBudget?.operation();
  return applyRule(logic, data);
};
for (const [name, operation] of Object.entries(budgetedOperations(() => activeBudget))) {
  jsonLogic.add_operation(name, operation);
}

/** Operators json-logic-js implements inside `apply` rather than in its operation table. */
const CONTROL_OPERATORS = ["if", "?:", "and", "or", "filter", "map", "reduce", "all", "none", "some"];
const TABLE_OPERATORS = [
  "==",
  "===",
  "!=",
  "!==",
  ">",
  ">=",
  "<",
  "<=",
  "!!",
  "!",
  "%",
  "in",
  "cat",
  "substr",
  "+",
  "*",
  "-",
  "/",
  "min",
  "max",
  "merge",
  "var",
  "missing",
  "missing_some",
];
export const KNOWN_OPERATORS: ReadonlySet<string> = new Set([...CONTROL_OPERATORS, ...TABLE_OPERATORS]);

/** True for `{}`, null and undefined: an empty rule (a trigger that never matches). */
export function isEmptyRule(rule: JsonLogicRule): boolean {
  return rule === null || rule === undefined || (isPlainObject(rule) && Object.keys(rule).length === 0);
}

/**
 * Evaluates a rule. Throws on a malformed rule (validation rejects those before
 * save) and RuleBudgetExceededError when the rule needs more work than `budget`
 * allows; several evaluations that make one decision (a branch's cases) share one.
 */
export function evaluate(rule: JsonLogicRule, data: unknown, budget: RuleBudget = new RuleBudget()): unknown {
  const outer = activeBudget;
  activeBudget = budget;
  try {
    return jsonLogic.apply(rule as jsonLogic.RulesLogic, coercionSafe(data));
  } finally {
    activeBudget = outer;
  }
}

const COERCION_KEYS = ["toString", "valueOf"];
const safeCopies = new WeakMap<object, unknown>();

function ownsCoercionKey(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (!Array.isArray(value) && COERCION_KEYS.some((key) => Object.hasOwn(value, key))) return true;
  return Object.values(value).some(ownsCoercionKey);
}

/**
 * Event data may own keys named toString or valueOf ({"source": {"toString": 0}}).
 * The comparison operators coerce their operands, and JavaScript would call
 * those "methods" and throw, so a sender could turn "no match" into an error.
 * Such data is evaluated as a copy in which those objects coerce like any
 * other object ("[object Object]"). Data without them (nearly all) is used
 * as is; the answer is remembered per object, since a trigger index evaluates
 * many rules against one event.
 */
function coercionSafe(data: unknown): unknown {
  if (typeof data !== "object" || data === null) return data;
  if (safeCopies.has(data)) return safeCopies.get(data);
  const safe = ownsCoercionKey(data) ? copyWithPlainCoercion(data) : data;
  safeCopies.set(data, safe);
  return safe;
}

function copyWithPlainCoercion(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(copyWithPlainCoercion);
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    // defineProperty, so an own "__proto__" key stays a key instead of becoming the prototype.
    Object.defineProperty(copy, key, {
      value: copyWithPlainCoercion(item),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  if (COERCION_KEYS.some((key) => Object.hasOwn(value, key))) {
    Object.defineProperty(copy, Symbol.toPrimitive, {
      value: (hint: string) => (hint === "number" ? Number.NaN : "[object Object]"),
    });
  }
  return copy;
}

/** JSONLogic truthiness (an empty array is falsy, "0" is truthy). */
export function isTruthy(value: unknown): boolean {
  return jsonLogic.truthy(value);
}

/**
 * Every problem in a rule: unknown operators, operator objects with several
 * keys, bad `var` paths, lists longer than MAX_RULE_ARRAY_ITEMS (json-logic-js
 * evaluates a literal list item by item, on every evaluation, inside loops too).
 */
export function checkRule(rule: JsonLogicRule, path = ""): RuleProblem[] {
  const problems: RuleProblem[] = [];
  walk(rule, path, problems);
  return problems;
}

function walk(node: unknown, path: string, problems: RuleProblem[]): void {
  if (Array.isArray(node)) {
    if (node.length > MAX_RULE_ARRAY_ITEMS) {
      problems.push({
        path,
        message: `a list in a rule may hold at most ${MAX_RULE_ARRAY_ITEMS} items; this one holds ${node.length}`,
      });
      return;
    }
    node.forEach((item, index) => {
      walk(item, `${path}[${index}]`, problems);
    });
    return;
  }
  if (!isPlainObject(node)) return;
  const keys = Object.keys(node);
  if (keys.length !== 1) {
    problems.push({ path, message: `a rule object must have exactly one operator, found ${keys.length}` });
    return;
  }
  const operator = keys[0] as string;
  const argsPath = `${path}${path ? "." : ""}${operator}`;
  if (!KNOWN_OPERATORS.has(operator)) {
    problems.push({ path: argsPath, message: `unknown JSONLogic operator "${operator}"` });
    return;
  }
  const args = node[operator];
  if (operator === "var") {
    checkVar(args, argsPath, problems);
    return;
  }
  const arityProblem = checkArity(operator, args);
  if (arityProblem) problems.push({ path: argsPath, message: arityProblem });
  walk(args, argsPath, problems);
}

/** Arities json-logic-js would throw on at run time (the others tolerate missing arguments). */
function checkArity(operator: string, args: unknown): string | undefined {
  if (operator === "*" && Array.isArray(args) && args.length === 0) return `"*" needs at least one argument`;
  if (operator === "missing_some") {
    const [, options] = Array.isArray(args) ? args : [];
    if (!Array.isArray(args) || args.length !== 2 || !(Array.isArray(options) || isPlainObject(options))) {
      return `"missing_some" takes [how many, [paths...]]`;
    }
  }
  return undefined;
}

function checkVar(args: unknown, path: string, problems: RuleProblem[]): void {
  const [target, fallback] = Array.isArray(args) ? args : [args];
  if (isPlainObject(target) || Array.isArray(target)) {
    walk(target, `${path}[0]`, problems);
  } else if (target !== undefined && target !== null && typeof target !== "string" && typeof target !== "number") {
    problems.push({ path, message: "var takes a path string or number" });
  }
  if (fallback !== undefined) walk(fallback, `${path}[1]`, problems);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
