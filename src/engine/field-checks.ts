/**
 * Checks shared by the definitions a workflow carries beside its graph (flow control,
 * schedules): each pushes a problem naming the field's path and returns undefined when the
 * value is refused.
 */
import type { Problem } from "../errors.js";
import { isPlainObject } from "./json-logic.js";

export function objectWith(
  value: unknown,
  path: string,
  known: readonly string[],
  problems: Problem[],
): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) {
    problems.push({ path, message: "must be an object" });
    return undefined;
  }
  const unknown = Object.keys(value).filter((key) => !known.includes(key));
  for (const key of unknown)
    problems.push({ path: `${path}.${key}`, message: `unknown field; expected ${known.join(", ")}` });
  return unknown.length > 0 ? undefined : value;
}

export function wholeNumber(
  value: unknown,
  path: string,
  min: number,
  max: number,
  problems: Problem[],
): number | undefined {
  if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
  problems.push({ path, message: `must be a whole number from ${min} to ${max}` });
  return undefined;
}

export function oneOf<T extends string>(
  value: unknown,
  path: string,
  allowed: readonly T[],
  fallback: T,
  problems: Problem[],
): T | undefined {
  if (value === undefined || value === null) return fallback;
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  problems.push({ path, message: `must be one of ${allowed.join(", ")}` });
  return undefined;
}
