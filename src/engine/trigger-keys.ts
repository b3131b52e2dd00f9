/**
 * Finds a condition a rule cannot match without: `{"var": path} == constant`,
 * alone or as one conjunct of an `and`. The trigger index files a trigger
 * under (path, text) and evaluates it only for events whose value at that path
 * is that text; event waits are filed the same way (event-keys.ts). Only
 * string constants are used for triggers, so JSONLogic's loose `==` stays
 * exact: a string equals a string constant only when they are identical.
 */
import { isPlainObject } from "./json-logic.js";

export interface EqualityKey {
  path: string;
  value: string;
}

/** Every `{"var": path} == constant` the rule requires, in the order written. */
export function requiredEqualities(rule: unknown): { path: string; constant: unknown }[] {
  if (!isPlainObject(rule)) return [];
  const [operator, ...rest] = Object.keys(rule);
  if (operator === undefined || rest.length > 0) return [];
  const args = rule[operator];
  if (operator === "and" && Array.isArray(args)) return args.flatMap(requiredEqualities);
  if ((operator === "==" || operator === "===") && Array.isArray(args) && args.length === 2) {
    const [left, right] = args;
    const found = varEquals(left, right) ?? varEquals(right, left);
    return found ? [found] : [];
  }
  return [];
}

export function equalityKey(rule: unknown): EqualityKey | undefined {
  for (const { path, constant } of requiredEqualities(rule)) {
    if (typeof constant === "string") return { path, value: constant };
  }
  return undefined;
}

function varEquals(variable: unknown, constant: unknown): { path: string; constant: unknown } | undefined {
  if (!isPlainObject(variable) || isPlainObject(constant) || Array.isArray(constant)) return undefined;
  const keys = Object.keys(variable);
  // A plain path only: a default (["path", fallback]) would match events without the field.
  if (keys.length !== 1 || keys[0] !== "var" || typeof variable.var !== "string" || variable.var === "")
    return undefined;
  return { path: variable.var, constant };
}
