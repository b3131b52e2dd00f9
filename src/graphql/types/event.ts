import type { LimitMet } from "../../engine/index.js";
import type { Execution } from "../../generated/prisma/client.js";
import { explainEvent, ingestEvent, simulateEvent } from "../../services/events.js";
import { builder } from "../builder.js";

builder.prismaObject("Event", {
  fields: (t) => ({
    id: t.exposeID("id"),
    payload: t.expose("payload", { type: "JSON" }),
    idempotencyKey: t.exposeString("idempotencyKey", { nullable: true }),
    receivedAt: t.expose("receivedAt", { type: "DateTime" }),
    executions: t.relation("executions", { description: "The executions this event started" }),
  }),
});

interface SendEventResult {
  eventId: string;
  executions: Execution[];
  resumedStepIds: string[];
  debounced: string[];
  duplicate: boolean;
}

const stepsByIds = (ids: readonly string[]) => ({
  where: { id: { in: [...ids] } },
  orderBy: { createdAt: "asc" as const },
});

interface EventExplanation {
  workflowIds: string[];
  resumedStepIds: string[];
  cancelledExecutionIds: string[];
  limits: LimitMet[];
}

const LimitMetRef = builder.objectRef<LimitMet>("LimitMet").implement({
  description: "A flow-control limit an event would meet in a workflow it starts, as things stand now",
  fields: (t) => ({
    workflowId: t.exposeID("workflowId"),
    kind: t.exposeString("kind", { description: "concurrency, rate_limit or debounce" }),
    limit: t.exposeInt("limit", { nullable: true }),
    key: t.exposeString("key", {
      nullable: true,
      description: "The key the event renders; null for a limit without one",
    }),
    inUse: t.exposeInt("inUse", { nullable: true, description: "Slots held, or starts in the current period" }),
    full: t.exposeBoolean("full", { description: "Its execution would not start at once" }),
    whenFull: t.exposeString("whenFull", {
      description: "When full: queue, skip, cancel_newest, cancel_in_progress, throttle or drop; window for debounce",
    }),
  }),
});

const EventExplanationRef = builder.objectRef<EventExplanation>("EventExplanation").implement({
  description: "What an event would do now, computed without changing anything",
  fields: (t) => ({
    starts: t.prismaField({
      type: ["Workflow"],
      description: "The active workflows whose trigger it matches",
      resolve: (query, r, _args, ctx) =>
        ctx.db.workflow.findMany({ ...query, where: { id: { in: r.workflowIds } }, orderBy: { createdAt: "asc" } }),
    }),
    resumes: t.prismaField({
      type: ["Step"],
      description: "The waiting wait_for_event steps it would resume (per execution, the wait that started first)",
      resolve: (query, r, _args, ctx) => ctx.db.step.findMany({ ...query, ...stepsByIds(r.resumedStepIds) }),
    }),
    limits: t.field({
      type: [LimitMetRef],
      description:
        "The flow-control limits it would meet in the workflows it starts (concurrency, rate limit, debounce)",
      resolve: (r) => r.limits,
    }),
    cancels: t.prismaField({
      type: ["Execution"],
      description: "The live executions whose workflow's cancelOn it matches",
      resolve: (query, r, _args, ctx) =>
        ctx.db.execution.findMany({
          ...query,
          where: { id: { in: r.cancelledExecutionIds } },
          orderBy: { createdAt: "asc" },
        }),
    }),
  }),
});

const SendEventPayload = builder.objectRef<SendEventResult>("SendEventPayload").implement({
  fields: (t) => ({
    event: t.prismaField({
      type: "Event",
      resolve: (query, result, _args, ctx) =>
        ctx.db.event.findUniqueOrThrow({ ...query, where: { id: result.eventId } }),
    }),
    matched: t.int({ description: "How many workflows the event started", resolve: (r) => r.executions.length }),
    executions: t.prismaField({
      type: ["Execution"],
      resolve: (query, result, _args, ctx) =>
        ctx.db.execution.findMany({
          ...query,
          where: { id: { in: result.executions.map((e) => e.id) } },
          orderBy: { createdAt: "asc" },
        }),
    }),
    resumed: t.prismaField({
      type: ["Step"],
      description: "The wait_for_event steps this event resumed",
      resolve: (query, result, _args, ctx) => ctx.db.step.findMany({ ...query, ...stepsByIds(result.resumedStepIds) }),
    }),
    debounced: t.prismaField({
      type: ["Workflow"],
      description: "Debounced workflows whose open window the event joined: one execution starts when it closes",
      resolve: (query, result, _args, ctx) =>
        ctx.db.workflow.findMany({ ...query, where: { id: { in: result.debounced } }, orderBy: { createdAt: "asc" } }),
    }),
    duplicate: t.exposeBoolean("duplicate", {
      description: "True when the idempotency key was seen before: nothing new started",
    }),
  }),
});

builder.queryFields((t) => ({
  events: t.prismaConnection(
    {
      type: "Event",
      cursor: "id",
      description: "Received events, newest first",
      resolve: (query, _root, _args, ctx) =>
        ctx.db.event.findMany({ ...query, orderBy: [{ receivedAt: "desc" }, { id: "desc" }] }),
    },
    { name: "EventConnection" },
    { name: "EventEdge" },
  ),
  simulateEvent: t.prismaField({
    type: ["Workflow"],
    description: "The active workflows this event would start, without starting anything",
    args: { payload: t.arg({ type: "JSON", required: true }) },
    resolve: async (query, _root, { payload }, ctx) => {
      const ids = await simulateEvent(ctx.services, payload);
      return ctx.db.workflow.findMany({ ...query, where: { id: { in: ids } }, orderBy: { createdAt: "asc" } });
    },
  }),
  explainEvent: t.field({
    type: EventExplanationRef,
    description: "What this event would start, resume and cancel, without changing anything",
    args: { payload: t.arg({ type: "JSON", required: true }) },
    resolve: (_root, { payload }, ctx) => explainEvent(ctx.services, payload),
  }),
}));

builder.mutationFields((t) => ({
  sendEvent: t.field({
    type: SendEventPayload,
    description: "Starts every active workflow whose trigger matches the event",
    args: { payload: t.arg({ type: "JSON", required: true }), idempotencyKey: t.arg.string() },
    resolve: async (_root, { payload, idempotencyKey }, ctx) => {
      const result = await ingestEvent(ctx.services, payload, idempotencyKey, ctx.traceparent);
      const { event, executions, resumedStepIds, debounced, duplicate } = result;
      return { eventId: event.id, executions, resumedStepIds, debounced, duplicate };
    },
  }),
}));
