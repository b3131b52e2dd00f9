/**
 * Finds a condition a trigger cannot match without: `{"var": path} == "text"`,
 * alone or as one conjunct of an `and`. The trigger index files the trigger
 * under (path, text) and evaluates it only for events whose value at that path
 * is that text. Only string constants are used, so JSONLogic's loose `==`
 * stays exact: a string equals a string constant only when they are identical.
 */
import { isPlainObject } from "./json-logic.js";

export interface EqualityKey {
  path: string;
  value: string;
}

export function equalityKey(rule: unknown): EqualityKey | undefined {
  if (!isPlainObject(rule)) return undefined;
  const [operator, ...rest] = Object.keys(rule);
  if (operator === undefined || rest.length > 0) return undefined;
  const args = rule[operator];
  if (operator === "and" && Array.isArray(args)) {
    for (const conjunct of args) {
      const key = equalityKey(conjunct);
      if (key) return key;
    }
    return undefined;
  }
  if ((operator === "==" || operator === "===") && Array.isArray(args) && args.length === 2) {
    const [left, right] = args;
    return varEqualsText(left, right) ?? varEqualsText(right, left);
  }
  return undefined;
}

function varEqualsText(variable: unknown, constant: unknown): EqualityKey | undefined {
  if (!isPlainObject(variable) || typeof constant !== "string") return undefined;
  const keys = Object.keys(variable);
  // A plain path only: a default (["path", fallback]) would match events without the field.
  if (keys.length !== 1 || keys[0] !== "var" || typeof variable.var !== "string" || variable.var === "")
    return undefined;
  return { path: variable.var, value: constant };
}
