import { builder } from "../builder.js";
import { announcedStepSeq } from "../live/announced.js";
import { stepChangeSeq } from "../live/step-change-seqs.js";
import { StepStatusEnum } from "./scalars.js";

builder.prismaObject("Step", {
  description: "One node visited by an execution.",
  fields: (t) => ({
    id: t.exposeID("id"),
    executionId: t.exposeID("executionId"),
    execution: t.relation("execution"),
    nodeId: t.exposeString("nodeId"),
    type: t.exposeString("type"),
    status: t.expose("status", { type: StepStatusEnum }),
    seq: t.int({
      description:
        "The seq of the change that set this status (the execution's numbering, as in executionUpdated): " +
        "in stepUpdated the change delivered. Per step, the highest seq is the newest state; " +
        "a seq already seen is a repeat.",
      select: { id: true, executionId: true, status: true, seq: true },
      resolve: (step, _args, ctx) => announcedStepSeq(step) ?? stepChangeSeq(ctx, step),
    }),
    attempt: t.exposeInt("attempt", { description: "Runs so far; 1 after the first try" }),
    input: t.expose("input", { type: "JSON", nullable: true, description: "The node's data after templating" }),
    output: t.expose("output", { type: "JSON", nullable: true }),
    error: t.exposeString("error", { nullable: true }),
    resumeAt: t.expose("resumeAt", { type: "DateTime", nullable: true, description: "When a wait or retry is due" }),
    waitingFor: t.field({
      type: "JSON",
      nullable: true,
      description:
        "While a wait_for_event step waits: the rule an event must satisfy, rendered with this execution's data",
      select: { id: true, status: true },
      resolve: async (step, _args, ctx) => {
        if (step.status !== "WAITING") return null;
        const wait = await ctx.db.eventWait.findUnique({ where: { stepId: step.id }, select: { match: true } });
        return wait?.match ?? null;
      },
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
    durationMs: t.int({
      nullable: true,
      select: { startedAt: true, finishedAt: true },
      resolve: (s) => (s.startedAt && s.finishedAt ? s.finishedAt.getTime() - s.startedAt.getTime() : null),
    }),
  }),
});
