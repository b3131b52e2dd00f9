import { ALL } from "../../bus/topics.js";
import { builder } from "../builder.js";
import { announcedExecution, announcedStep } from "../live/announced.js";
import { countOpen } from "../live/count-open.js";
import { type ExecutionUpdate, executionUpdates } from "../live/execution-updates.js";

const ExecutionUpdateKindEnum = builder.enumType("ExecutionUpdateKind", {
  values: {
    SNAPSHOT: { description: "The current state, sent first" },
    EXECUTION: { description: "The execution's status changed" },
    STEP: { description: "A step was created or changed status" },
  },
});

const ExecutionUpdateRef = builder.objectRef<ExecutionUpdate>("ExecutionUpdate").implement({
  description: "One change of an execution. `seq` only grows; resubscribe with afterSeq to replay what you missed.",
  fields: (t) => ({
    seq: t.exposeInt("seq"),
    kind: t.field({ type: ExecutionUpdateKindEnum, resolve: (u) => u.kind }),
    status: t.exposeString("status", { description: "The status this change set (execution's or step's)" }),
    nodeId: t.exposeString("nodeId", { nullable: true }),
    execution: t.prismaField({
      type: "Execution",
      description: "The execution as it is now",
      resolve: (query, update, _args, ctx) =>
        ctx.db.execution.findUniqueOrThrow({ ...query, where: { id: update.executionId } }),
    }),
    step: t.prismaField({
      type: "Step",
      nullable: true,
      description: "The step this change is about, as it is now",
      resolve: (query, update, _args, ctx) =>
        update.stepId ? ctx.db.step.findUnique({ ...query, where: { id: update.stepId } }) : null,
    }),
  }),
});

builder.subscriptionType({
  fields: (t) => ({
    executionUpdated: t.field({
      type: ExecutionUpdateRef,
      description:
        "The current execution first (or the changes after afterSeq), then every change to it or its steps; " +
        "completes after the execution's final status (SUCCEEDED, FAILED, CANCELLED, SKIPPED). " +
        "Over SSE each event has `id: <seq>`, and a reconnect's Last-Event-ID resumes after it.",
      args: { id: t.arg.id({ required: true }), afterSeq: t.arg.int() },
      subscribe: (_root, args, ctx) => {
        // A reconnecting EventSource repeats the operation as first sent: its Last-Event-ID is newer.
        const lastEventId = ctx.eventIds?.resume();
        return executionUpdates(ctx, String(args.id), later(args.afterSeq, lastEventId));
      },
      resolve: (update, _args, ctx) => {
        ctx.eventIds?.note(update.seq);
        return update;
      },
    }),
    stepUpdated: t.prismaField({
      type: "Step",
      description:
        "Every step change of one execution, once each, with the status it set; Step.seq is the change's seq. " +
        "Other fields are read when the change is delivered.",
      args: { executionId: t.arg.id({ required: true }) },
      subscribe: (_root, args, ctx) =>
        countOpen(ctx.subscriptionsOpen, ctx.bus.subscribe("stepUpdated", String(args.executionId))),
      resolve: async (query, change, _args, ctx) =>
        announcedStep(await ctx.db.step.findUniqueOrThrow({ ...query, where: { id: change.stepId } }), change),
    }),
    executionsChanged: t.prismaField({
      type: "Execution",
      description:
        "Executions of one workflow (or of all) starting and changing status: each change once, with the " +
        "status and seq it set (PENDING first). Other fields are read when the change is delivered.",
      args: { workflowId: t.arg.id() },
      subscribe: (_root, args, ctx) =>
        countOpen(
          ctx.subscriptionsOpen,
          ctx.bus.subscribe("executionsChanged", args.workflowId ? String(args.workflowId) : ALL),
        ),
      resolve: async (query, change, _args, ctx) =>
        announcedExecution(
          await ctx.db.execution.findUniqueOrThrow({ ...query, where: { id: change.executionId } }),
          change,
        ),
    }),
    notificationSent: t.prismaField({
      type: "Notification",
      description: "Notifications for one role (or for all)",
      args: { toRole: t.arg.string() },
      subscribe: (_root, args, ctx) =>
        countOpen(ctx.subscriptionsOpen, ctx.bus.subscribe("notificationSent", args.toRole ?? ALL)),
      resolve: (query, sent, _args, ctx) =>
        ctx.db.notification.findUniqueOrThrow({ ...query, where: { id: sent.notificationId } }),
    }),
  }),
});

/** The later of two positions in an execution's changes, either of which may be absent. */
function later(a: number | null | undefined, b: number | undefined): number | undefined {
  if (a === null || a === undefined) return b;
  return b === undefined ? a : Math.max(a, b);
}
