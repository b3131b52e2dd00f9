/**
 * How event waits are found without evaluating every one of them against
 * every event: a wait is filed under the `field == constant` its rendered
 * rule requires (waitKey), and an event lists every (path, value) under which
 * a wait it can satisfy may be filed (eventKeys). Ingestion looks the pairs
 * up by index; waits without a key are checked against every event.
 *
 * JSONLogic's `==` is JavaScript's loose equality, so the two sides agree on
 * a canonical text: a string constant files as itself, a number as "#<n>".
 * A string that looks like a number but is not written the way JavaScript
 * prints it (" 90", "90.0") is not filed: too many values loosely equal it.
 */
import { isPlainObject } from "./json-logic.js";
import { requiredEqualities } from "./trigger-keys.js";

export interface WaitKey {
  path: string;
  value: string;
}

/**
 * The key a rendered wait rule is filed under, if it has one. With the rule
 * as written (`unrendered`), an equality whose value was a template is
 * preferred: `orderId == "{{payload.order.id}}"` tells this execution's wait
 * from the others, where `type == "payment"` is shared by all of them.
 */
export function waitKey(rule: unknown, unrendered?: unknown): WaitKey | undefined {
  const equalities = requiredEqualities(rule);
  const written = unrendered === undefined ? [] : requiredEqualities(unrendered);
  const templated = equalities.filter((_, i) => {
    const constant = written[i]?.constant;
    return typeof constant === "string" && constant.includes("{{");
  });
  for (const { path, constant } of [...templated, ...equalities]) {
    const key = fileable(path, constant);
    if (key) return key;
  }
  return undefined;
}

function fileable(path: string, constant: unknown): WaitKey | undefined {
  if (typeof constant === "number" && Number.isFinite(constant)) return { path, value: numberKey(constant) };
  if (typeof constant !== "string") return undefined;
  const asNumber = Number(constant);
  // Text that is not a number equals only itself (or a container printing as it: see eventKeys).
  if (Number.isNaN(asNumber) || String(asNumber) === constant) return { path, value: constant };
  return undefined;
}

/** An upper bound on how many pairs one event lists (each a small index lookup). */
export const MAX_EVENT_KEYS = 50_000;

/**
 * Every (path, key) under which a wait this event can satisfy may be filed.
 * Undefined when the event has more than MAX_EVENT_KEYS values: the caller
 * then checks every wait (correct, only slower).
 */
export function eventKeys(event: unknown): WaitKey[] | undefined {
  const keys: WaitKey[] = [];
  const visit = (value: unknown, path: string): boolean => {
    if (path !== "") {
      for (const key of keysOf(value)) keys.push({ path, value: key });
      if (keys.length > MAX_EVENT_KEYS) return false;
    }
    if (Array.isArray(value)) return value.every((item, i) => visit(item, join(path, String(i))));
    if (isPlainObject(value)) return Object.entries(value).every(([name, item]) => visit(item, join(path, name)));
    return true;
  };
  return visit(event, "") ? keys : undefined;
}

/** The wait keys a value at some path loosely equals. */
function keysOf(value: unknown): string[] {
  if (value === null || value === undefined) return []; // equals no string and no number
  if (typeof value === "number") return [numberKey(value), String(value)];
  if (typeof value === "boolean") return [numberKey(Number(value)), String(Number(value))];
  // A string, or a container compared through its text ([90] == 90, ["a"] == "a").
  const text = typeof value === "string" ? value : String(value);
  const asNumber = Number(text);
  return Number.isNaN(asNumber) ? [text] : [text, numberKey(asNumber)];
}

function numberKey(value: number): string {
  return `#${String(value)}`;
}

function join(path: string, name: string): string {
  return path === "" ? name : `${path}.${name}`;
}

/** A dotted path as JSONLogic's var reads it, as the segments SQL's `#>` takes. */
export function keyPathSegments(path: string): string[] {
  return path.split(".");
}
