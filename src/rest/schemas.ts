/**
 * The REST contract of the original engine, as zod schemas. The same schemas
 * validate requests and generate the OpenAPI document, so nothing is described
 * twice. Field names are snake_case, as the original engine's.
 */
import { z } from "@hono/zod-openapi";
import { MAX_IDEMPOTENCY_KEY_LENGTH } from "../services/events.js";

const json = z.unknown().openapi({ description: "Any JSON value" });
const jsonObject = z.record(z.string(), z.unknown());

export const WorkflowIn = z
  .object({
    name: z.string().min(1).openapi({ example: "Lead routing" }),
    description: z.string().nullable().optional(),
    trigger: json.optional().openapi({ description: "JSONLogic rule; {} (the default) never matches" }),
    graph: jsonObject.optional().openapi({ description: "{nodes, edges}; defaults to {} (an empty draft)" }),
    definition: jsonObject.optional().openapi({ description: "Alias of graph" }),
    is_active: z.boolean().optional().openapi({ description: "Defaults to true" }),
    cancel_on: json.optional().openapi({
      description: "JSONLogic rule over events, templated per execution; a match cancels a live execution",
    }),
    timeout_ms: z.number().int().nullable().optional().openapi({
      description: "An execution still unfinished this long after it started fails (1 ms to 365 days)",
    }),
    concurrency: json.optional().openapi({
      description:
        'A limit {key?, limit, strategy?} or a list of them; e.g. {"key": "{{payload.customerId}}", "limit": 1}',
    }),
    rate_limit: json.optional().openapi({ description: "{key?, limit, period_ms, mode?: throttle | drop}" }),
    debounce: json.optional().openapi({ description: "{key?, period_ms, max_delay_ms?, use?: last | first | all}" }),
    priority: json.optional().openapi({ description: '-100..100 or a template such as "{{payload.priority}}"' }),
    schedules: json.optional().openapi({
      description:
        'Cron schedules: [{id?, cron, timezone?, payload?, overlap?, catchup_window_ms?, paused?}], e.g. [{"cron": "0 9 * * MON", "timezone": "Europe/Berlin"}]',
    }),
    run_at: json
      .optional()
      .openapi({ description: 'One-off starts: [{id?, at, payload?}], e.g. [{"at": "2026-12-24T18:00:00Z"}]' }),
  })
  .openapi("WorkflowIn");

export const ScheduleOut = z
  .object({
    id: z.string(),
    cron: z.string(),
    timezone: z.string(),
    payload: z.record(z.string(), z.unknown()),
    overlap: z.enum(["allow", "skip", "buffer_one", "cancel_previous"]),
    catchup_window_ms: z.number().int(),
    paused: z.boolean(),
    next_fire_at: z.string().nullable().openapi({ description: "null while paused or the workflow is inactive" }),
    last_fire_at: z.string().nullable().openapi({ description: "The instant of its last execution" }),
    last_execution_id: z.string().nullable(),
  })
  .openapi("ScheduleOut");

export const RunAtOut = z
  .object({
    id: z.string(),
    at: z.string(),
    payload: z.record(z.string(), z.unknown()),
    next_fire_at: z.string().nullable().openapi({ description: "null once fired" }),
    fired_at: z.string().nullable(),
    execution_id: z.string().nullable(),
  })
  .openapi("RunAtOut");

export const WorkflowOut = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    version: z.number().int(),
    is_active: z.boolean(),
    paused: z.boolean().openapi({
      description: "Paused (POST /workflows/{id}/pause): matches no events, fires no schedule, runs no step",
    }),
    paused_at: z.string().nullable().openapi({ description: "When it was paused; null when not paused" }),
    trigger: json,
    cancel_on: json.openapi({ description: "null: none" }),
    timeout_ms: z.number().int().nullable(),
    concurrency: z.array(jsonObject).openapi({ description: "[]: no concurrency limit" }),
    rate_limit: json.openapi({ description: "null: none" }),
    debounce: json.openapi({ description: "null: none" }),
    priority: json.openapi({ description: "null: 0" }),
    schedules: z.array(ScheduleOut),
    run_at: z.array(RunAtOut),
    graph: jsonObject,
    definition: jsonObject.openapi({ description: "Same as graph" }),
    created_at: z.string().openapi({ format: "date-time" }),
    updated_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("WorkflowOut");

export const ExecutionIn = z
  .object({
    workflow_id: z.string().min(1),
    payload: jsonObject.optional().openapi({ description: "The context the execution sees; defaults to {}" }),
  })
  .openapi("ExecutionIn");

export const ExecutionStatus = z.enum(["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "SKIPPED"]);
export const StepStatus = z.enum(["PENDING", "RUNNING", "WAITING", "SUCCEEDED", "FAILED", "SKIPPED", "CANCELLED"]);

export const ExecutionOut = z
  .object({
    id: z.string(),
    workflow_id: z.string(),
    status: ExecutionStatus,
    paused: z.boolean().openapi({
      description: "Live (PENDING or RUNNING) while its workflow is paused: it runs no further step until resumed",
    }),
    context: jsonObject.openapi({ description: "The event body (GraphQL calls it payload)" }),
    workflow_version: z.number().int(),
    event_id: z.string().nullable(),
    parent_execution_id: z
      .string()
      .nullable()
      .openapi({ description: "The execution whose call_workflow or for_each step started this one" }),
    parent_step_id: z.string().nullable().openapi({ description: "That step" }),
    child_index: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Which of the step's children: 0 for call_workflow, the item's index for for_each" }),
    rerun_of_id: z.string().nullable().openapi({ description: "The execution this one reruns" }),
    rerun_from_node_id: z.string().nullable().openapi({ description: "The node it reran from" }),
    error: z.string().nullable(),
    created_at: z.string().openapi({ format: "date-time" }),
    started_at: z.string().nullable().openapi({ format: "date-time" }),
    finished_at: z.string().nullable().openapi({ format: "date-time" }),
  })
  .openapi("ExecutionOut");

export const StepOut = z
  .object({
    id: z.string(),
    execution_id: z.string(),
    node_id: z.string(),
    type: z.string(),
    status: StepStatus,
    output: json.nullable(),
    error: z
      .object({ message: z.string() })
      .nullable()
      .openapi({ description: "Why the step failed (or its last try, while it is retried); null when it did not" }),
    attempt: z.number().int(),
    input: json.nullable(),
    resume_at: z.string().nullable().openapi({ format: "date-time" }),
    created_at: z.string().openapi({ format: "date-time" }),
    started_at: z.string().nullable().openapi({ format: "date-time" }),
    finished_at: z.string().nullable().openapi({ format: "date-time" }),
  })
  .openapi("StepOut");

export const EventIn = jsonObject.openapi("EventIn", {
  description: "The event itself: any JSON object",
  example: { lead: { source: "LinkedIn", score: 90, title: "CEO" } },
});

export const EventsOut = z
  .object({
    matched: z.number().int().openapi({ description: "How many workflows the event started" }),
    execution_ids: z.array(z.string()),
    event_id: z.string(),
    resumed_step_ids: z.array(z.string()).openapi({
      description: "The wait_for_event steps this event resumed (per execution, the wait that started first)",
    }),
    debounced_workflow_ids: z.array(z.string()).openapi({
      description: "Debounced workflows whose open window the event joined: one execution starts when it closes",
    }),
    duplicate: z.boolean().openapi({ description: "The Idempotency-Key was seen before: nothing new started" }),
  })
  .openapi("EventsOut");

export const Deleted = z.object({ status: z.literal("deleted") }).openapi("Deleted");

export const ErrorOut = z.object({ detail: z.string() }).openapi("Error");

export const ValidationErrorOut = z
  .object({
    detail: z.array(
      z.object({
        loc: z.array(z.union([z.string(), z.number()])),
        msg: z.string(),
        type: z.string(),
      }),
    ),
  })
  .openapi("ValidationError");

export const IdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });
export const ExecutionsQuery = z.object({
  workflow_id: z
    .string()
    .optional()
    .openapi({ param: { name: "workflow_id", in: "query" } }),
  status: ExecutionStatus.optional().openapi({ param: { name: "status", in: "query" } }),
  from: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ param: { name: "from", in: "query" }, description: "Created at or after" }),
  to: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ param: { name: "to", in: "query" }, description: "Created before" }),
  payload_contains: z
    .string()
    .optional()
    .openapi({
      param: { name: "payload_contains", in: "query" },
      description: 'JSON the payload must contain (PostgreSQL @>), e.g. {"customer":{"id":"c-42"}}',
    }),
});
export const IdempotencyHeader = z.object({
  "Idempotency-Key": z
    .string()
    .min(1, `must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`)
    .max(MAX_IDEMPOTENCY_KEY_LENGTH, `must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`)
    .optional()
    .openapi({
      param: { name: "Idempotency-Key", in: "header" },
      description: "Sending the same key again returns the first result and starts nothing new",
    }),
  traceparent: z
    .string()
    .optional()
    .openapi({
      param: { name: "traceparent", in: "header" },
      description:
        "W3C trace context: with traces on, the event's span joins the caller's trace and its executions' traces link to it; a malformed value is ignored",
    }),
});

export const RerunIn = z
  .object({
    from_node_id: z.string().min(1).openapi({ description: "The node to run again from" }),
    input: jsonObject
      .optional()
      .openapi({ description: "Replaces that node's data for the rerun only (checked against its node type)" }),
  })
  .openapi("RerunIn");
