/**
 * Flow control in REST's snake_case: `concurrency`, `rate_limit`,
 * `debounce` and `priority`, with snake_case fields inside (`period_ms`,
 * `max_delay_ms`), converted to and from the engine's names.
 */
import type { FlowControl, FlowControlInput } from "../engine/index.js";
import type { Problem } from "../errors.js";

const FIELDS: Record<string, string> = { period_ms: "periodMs", max_delay_ms: "maxDelayMs" };
const SNAKE: Record<string, string> = {
  periodMs: "period_ms",
  maxDelayMs: "max_delay_ms",
  rateLimit: "rate_limit",
};

/** Renames an object's known snake_case fields (anything else is passed on, for validation to name). */
function camel(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [FIELDS[key] ?? key, v]));
}

function snake<T extends object | null>(value: T): unknown {
  if (value === null) return null;
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [SNAKE[key] ?? key, v]));
}

export interface FlowControlBody {
  concurrency?: unknown;
  rate_limit?: unknown;
  debounce?: unknown;
  priority?: unknown;
}

/** The fields of a full body (POST, PUT): one left out is none, as every other field takes its default. */
export function flowControlIn(body: FlowControlBody): FlowControlInput {
  return {
    concurrency: body.concurrency ?? null,
    rateLimit: camel(body.rate_limit ?? null),
    debounce: camel(body.debounce ?? null),
    priority: body.priority ?? null,
  };
}

export function flowControlOut(flow: FlowControl | null) {
  return {
    concurrency: flow?.concurrency ?? [],
    rate_limit: snake(flow?.rateLimit ?? null),
    debounce: snake(flow?.debounce ?? null),
    priority: flow?.priority ?? null,
  };
}

/** A problem's path in REST's names: rateLimit.periodMs → rate_limit.period_ms. */
export function restPath(problem: Problem): Problem {
  if (!/^(concurrency|rateLimit|debounce|priority)\b/.test(problem.path)) return problem;
  const path = problem.path.replace(/[A-Za-z]+/g, (part) => SNAKE[part] ?? part);
  return { ...problem, path };
}
