/**
 * A workflow's flow control: how many of its executions run at once
 * (`concurrency`), how many start per period (`rateLimit`), one execution for
 * a burst of events (`debounce`), and which waiting execution starts first
 * (`priority`). This file holds the definitions, their validation at save
 * time and their rendering for one execution; store/admit-executions.ts
 * applies them (see src/engine/README.md, "Flow control").
 */
import { createHash } from "node:crypto";
import { objectWith, oneOf, wholeNumber } from "./field-checks.js";
import { isPlainObject } from "./json-logic.js";
import { checkTemplates, renderTemplates, type TemplateContext } from "./template.js";

export const CONCURRENCY_STRATEGIES = ["queue", "cancel_in_progress", "cancel_newest", "skip"] as const;
export type ConcurrencyStrategy = (typeof CONCURRENCY_STRATEGIES)[number];
export const RATE_LIMIT_MODES = ["throttle", "drop"] as const;
export type RateLimitMode = (typeof RATE_LIMIT_MODES)[number];
export const DEBOUNCE_USES = ["last", "first", "all"] as const;
export type DebounceUse = (typeof DEBOUNCE_USES)[number];

export interface ConcurrencyLimit {
  /** Template rendered from the event; null: one pool for the whole workflow. */
  key: string | null;
  limit: number;
  strategy: ConcurrencyStrategy;
}

export interface RateLimit {
  key: string | null;
  limit: number;
  periodMs: number;
  mode: RateLimitMode;
}

export interface Debounce {
  key: string | null;
  periodMs: number;
  maxDelayMs: number | null;
  use: DebounceUse;
}

/** What is stored (Workflow.flowControl, WorkflowVersion.flowControl): normalized, defaults filled in. */
export interface FlowControl {
  concurrency: ConcurrencyLimit[];
  rateLimit: RateLimit | null;
  debounce: Debounce | null;
  /** A number, or a template rendered from the event; 0 when null. */
  priority: number | string | null;
}

/** The fields as the API takes them (GraphQL names; REST converts its snake_case). */
export interface FlowControlInput {
  concurrency?: unknown;
  rateLimit?: unknown;
  debounce?: unknown;
  priority?: unknown;
}

export const MAX_CONCURRENCY_LIMIT = 10_000;
export const MAX_CONCURRENCY_ENTRIES = 5;
export const MAX_FLOW_PERIOD_MS = 7 * 24 * 60 * 60 * 1000;
export const MIN_PRIORITY = -100;
export const MAX_PRIORITY = 100;
/** Rendered keys longer than this are shortened with a hash of the whole (they are index entries). */
const MAX_KEY_CHARS = 200;

interface Problem {
  path: string;
  message: string;
}

/** Does anything gate the start of this workflow's executions (they wait in line for admission)? */
export function gatesStarts(flow: FlowControl | null): flow is FlowControl {
  return flow !== null && (flow.concurrency.length > 0 || flow.rateLimit !== null);
}

/** Does an execution give back and take again a slot around its waits? */
export function holdsSlots(flow: FlowControl | null): flow is FlowControl {
  return flow !== null && flow.concurrency.length > 0;
}

/** Checks the flow-control fields; `flow` is the normalized value (null when none is set). */
export function checkFlowControl(input: FlowControlInput): { problems: Problem[]; flow: FlowControl | null } {
  const problems: Problem[] = [];
  const concurrency = checkConcurrency(input.concurrency, problems);
  const rateLimit = checkRateLimit(input.rateLimit, problems);
  const debounce = checkDebounce(input.debounce, problems);
  const priority = checkPriority(input.priority, problems);
  if (problems.length > 0) return { problems, flow: null };
  const none = concurrency.length === 0 && !rateLimit && !debounce && priority === null;
  return { problems, flow: none ? null : { concurrency, rateLimit, debounce, priority } };
}

function checkConcurrency(value: unknown, problems: Problem[]): ConcurrencyLimit[] {
  if (value === undefined || value === null) return [];
  const entries = Array.isArray(value) ? value : [value];
  const many = Array.isArray(value);
  if (entries.length > MAX_CONCURRENCY_ENTRIES) {
    problems.push({ path: "concurrency", message: `at most ${MAX_CONCURRENCY_ENTRIES} entries` });
    return [];
  }
  return entries.flatMap((entry, index) => {
    const path = many ? `concurrency[${index}]` : "concurrency";
    const fields = objectWith(entry, path, ["key", "limit", "strategy"], problems);
    if (!fields) return [];
    const limit = wholeNumber(fields.limit, `${path}.limit`, 1, MAX_CONCURRENCY_LIMIT, problems);
    const key = keyTemplate(fields.key, `${path}.key`, problems);
    const strategy = oneOf(fields.strategy, `${path}.strategy`, CONCURRENCY_STRATEGIES, "queue", problems);
    return limit === undefined || key === undefined || strategy === undefined ? [] : [{ key, limit, strategy }];
  });
}

function checkRateLimit(value: unknown, problems: Problem[]): RateLimit | null {
  if (value === undefined || value === null) return null;
  const fields = objectWith(value, "rateLimit", ["key", "limit", "periodMs", "mode"], problems);
  if (!fields) return null;
  const limit = wholeNumber(fields.limit, "rateLimit.limit", 1, MAX_CONCURRENCY_LIMIT, problems);
  const periodMs = wholeNumber(fields.periodMs, "rateLimit.periodMs", 1, MAX_FLOW_PERIOD_MS, problems);
  const key = keyTemplate(fields.key, "rateLimit.key", problems);
  const mode = oneOf(fields.mode, "rateLimit.mode", RATE_LIMIT_MODES, "throttle", problems);
  if (limit === undefined || periodMs === undefined || key === undefined || mode === undefined) return null;
  return { key, limit, periodMs, mode };
}

function checkDebounce(value: unknown, problems: Problem[]): Debounce | null {
  if (value === undefined || value === null) return null;
  const fields = objectWith(value, "debounce", ["key", "periodMs", "maxDelayMs", "use"], problems);
  if (!fields) return null;
  const periodMs = wholeNumber(fields.periodMs, "debounce.periodMs", 1, MAX_FLOW_PERIOD_MS, problems);
  const maxDelayMs =
    fields.maxDelayMs === undefined || fields.maxDelayMs === null
      ? null
      : wholeNumber(fields.maxDelayMs, "debounce.maxDelayMs", 1, MAX_FLOW_PERIOD_MS, problems);
  const key = keyTemplate(fields.key, "debounce.key", problems);
  const use = oneOf(fields.use, "debounce.use", DEBOUNCE_USES, "last", problems);
  if (periodMs === undefined || maxDelayMs === undefined || key === undefined || use === undefined) return null;
  if (maxDelayMs !== null && maxDelayMs < periodMs) {
    problems.push({ path: "debounce.maxDelayMs", message: "must be at least periodMs" });
    return null;
  }
  return { key, periodMs, maxDelayMs, use };
}

function checkPriority(value: unknown, problems: Problem[]): number | string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "number") {
    return wholeNumber(value, "priority", MIN_PRIORITY, MAX_PRIORITY, problems) ?? null;
  }
  if (typeof value === "string" && value.includes("{{")) {
    const found = checkTemplates(value, "priority", new Set());
    problems.push(...found);
    return found.length > 0 ? null : value;
  }
  if (typeof value === "string" && /^-?\d+$/.test(value.trim())) {
    return wholeNumber(Number(value), "priority", MIN_PRIORITY, MAX_PRIORITY, problems) ?? null;
  }
  problems.push({
    path: "priority",
    message: `must be a whole number from ${MIN_PRIORITY} to ${MAX_PRIORITY} or a template such as "{{payload.priority}}"`,
  });
  return null;
}

/** A key template: absent or null is no key (one pool); a string is checked as a template. */
function keyTemplate(value: unknown, path: string, problems: Problem[]): string | null | undefined {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string" || value.trim() === "") {
    problems.push({ path, message: 'must be a template string such as "{{payload.customerId}}"' });
    return undefined;
  }
  const found = checkTemplates(value, path, new Set());
  problems.push(...found);
  return found.length > 0 ? undefined : value;
}

/** One execution's rendered flow control: its keys and priority, fixed when it starts. */
export interface ExecutionFlowKeys {
  /** One per concurrency entry, in order ("" for an entry without a key). */
  concurrencyKeys: string[];
  rateKey: string | null;
  priority: number;
  /** Executions with the same fairness key wait in one line; lines are served round-robin. */
  fairKey: string;
}

/** Renders the keys and the priority of an execution from its context (the event's payload). */
export function renderFlowKeys(flow: FlowControl, context: TemplateContext): ExecutionFlowKeys {
  const concurrencyKeys = flow.concurrency.map((entry) => renderKey(entry.key, context));
  const rateKey = flow.rateLimit ? renderKey(flow.rateLimit.key, context) : null;
  return {
    concurrencyKeys,
    rateKey,
    priority: renderPriority(flow.priority, context),
    fairKey: JSON.stringify([...concurrencyKeys, rateKey ?? ""]),
  };
}

/** A key as text: a missing value is "", a number or object its JSON; long keys keep a hash of the whole. */
export function renderKey(template: string | null, context: TemplateContext): string {
  if (template === null) return "";
  const value = renderTemplates(template, context);
  const text = value === undefined || value === null ? "" : typeof value === "string" ? value : JSON.stringify(value);
  if (text.length <= MAX_KEY_CHARS) return text;
  const hash = createHash("sha256").update(text).digest("hex").slice(0, 16);
  return `${text.slice(0, MAX_KEY_CHARS - hash.length - 1)}#${hash}`;
}

/** A priority renders to a whole number in range; anything else (missing, not a number) is 0. */
export function renderPriority(priority: number | string | null, context: TemplateContext): number {
  if (priority === null) return 0;
  const value = typeof priority === "number" ? priority : Number(renderTemplates(priority, context));
  if (!Number.isFinite(value)) return 0;
  return Math.max(MIN_PRIORITY, Math.min(MAX_PRIORITY, Math.round(value)));
}

/** The stored column read back: null, or a FlowControl (written only by checkFlowControl). */
export function storedFlowControl(value: unknown): FlowControl | null {
  if (!isPlainObject(value)) return null;
  const flow = value as unknown as FlowControl;
  return {
    ...flow,
    concurrency: flow.concurrency ?? [],
    rateLimit: flow.rateLimit ?? null,
    debounce: flow.debounce ?? null,
  };
}
