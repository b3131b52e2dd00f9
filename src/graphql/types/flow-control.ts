/**
 * A workflow's flow control in GraphQL: typed objects out, typed inputs in
 * (limits, periods, strategies and templates are checked by the workflow
 * service, which names the field of every problem).
 */
import type { CapacityWaitExplained, ConcurrencyLimit, Debounce, RateLimit } from "../../engine/index.js";
import { builder } from "../builder.js";

export const ConcurrencyLimitRef = builder.objectRef<ConcurrencyLimit>("ConcurrencyLimit").implement({
  description: "At most `limit` executions per rendered key hold a slot at once (a step PENDING or RUNNING)",
  fields: (t) => ({
    key: t.exposeString("key", { nullable: true, description: "Template rendered from the event; null: one pool" }),
    limit: t.exposeInt("limit"),
    strategy: t.exposeString("strategy", { description: "queue, cancel_in_progress, cancel_newest or skip" }),
  }),
});

export const RateLimitRef = builder.objectRef<RateLimit>("RateLimit").implement({
  description: "At most `limit` executions start per rendered key in any `periodMs`",
  fields: (t) => ({
    key: t.exposeString("key", { nullable: true }),
    limit: t.exposeInt("limit"),
    periodMs: t.exposeInt("periodMs"),
    mode: t.exposeString("mode", { description: "throttle (start later, in order) or drop (SKIPPED)" }),
  }),
});

export const DebounceRef = builder.objectRef<Debounce>("Debounce").implement({
  description: "Events for one key start one execution once `periodMs` passed without another",
  fields: (t) => ({
    key: t.exposeString("key", { nullable: true }),
    periodMs: t.exposeInt("periodMs"),
    maxDelayMs: t.exposeInt("maxDelayMs", { nullable: true }),
    use: t.exposeString("use", { description: "last, first or all (payload {events: [...]})" }),
  }),
});

export const ConcurrencyInput = builder.inputType("ConcurrencyInput", {
  fields: (t) => ({
    key: t.string({
      description: 'Template rendered from the event, e.g. "{{payload.customerId}}"; omitted: one pool',
    }),
    limit: t.int({ required: true, description: "1 to 10000" }),
    strategy: t.string({ description: "queue (default), cancel_in_progress, cancel_newest or skip" }),
  }),
});

export const RateLimitInput = builder.inputType("RateLimitInput", {
  fields: (t) => ({
    key: t.string(),
    limit: t.int({ required: true }),
    periodMs: t.int({ required: true }),
    mode: t.string({ description: "throttle (default) or drop" }),
  }),
});

export const DebounceInput = builder.inputType("DebounceInput", {
  fields: (t) => ({
    key: t.string(),
    periodMs: t.int({ required: true }),
    maxDelayMs: t.int(),
    use: t.string({ description: "last (default), first or all" }),
  }),
});

type InputFields = PothosSchemaTypes.InputFieldBuilder<
  typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never,
  "InputObject"
>;

/** The flow-control fields of WorkflowInput and WorkflowPatch (the same on both). */
export function flowControlInputFields(t: InputFields) {
  return {
    concurrency: t.field({ type: [ConcurrencyInput], description: "One limit or a list (each applies); null: none" }),
    rateLimit: t.field({ type: RateLimitInput, description: "null: none" }),
    debounce: t.field({ type: DebounceInput, description: "null: none" }),
    priority: t.field({ type: "JSON", description: '-100..100 or a template such as "{{payload.priority}}"; null: 0' }),
  };
}

/** Input objects arrive with explicit nulls for omitted fields; the service reads those as "not set". */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}

export const CapacityWaitRef = builder.objectRef<CapacityWaitExplained>("CapacityWait").implement({
  description: "Why an execution waits in line for capacity (its workflow's flow control), and its place",
  fields: (t) => ({
    kind: t.exposeString("kind", { description: "concurrency, rate_limit, or line (room is free: being let in)" }),
    limit: t.exposeInt("limit", { nullable: true }),
    key: t.exposeString("key", { nullable: true, description: "The rendered key; null for a limit without one" }),
    inUse: t.exposeInt("inUse", { nullable: true, description: "Slots held, or starts in the current period" }),
    position: t.exposeInt("position", { description: "1: next among the executions with the same keys" }),
    message: t.exposeString("message"),
  }),
});
