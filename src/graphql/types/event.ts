import type { Execution } from "../../generated/prisma/client.js";
import { ingestEvent, simulateEvent } from "../../services/events.js";
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
  duplicate: boolean;
}

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
}));

builder.mutationFields((t) => ({
  sendEvent: t.field({
    type: SendEventPayload,
    description: "Starts every active workflow whose trigger matches the event",
    args: { payload: t.arg({ type: "JSON", required: true }), idempotencyKey: t.arg.string() },
    resolve: async (_root, { payload, idempotencyKey }, ctx) => {
      const result = await ingestEvent(ctx.services, payload, idempotencyKey);
      return { eventId: result.event.id, executions: result.executions, duplicate: result.duplicate };
    },
  }),
}));
