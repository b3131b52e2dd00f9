import { builder } from "../builder.js";
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
    attempt: t.exposeInt("attempt", { description: "Runs so far; 1 after the first try" }),
    input: t.expose("input", { type: "JSON", nullable: true, description: "The node's data after templating" }),
    output: t.expose("output", { type: "JSON", nullable: true }),
    error: t.exposeString("error", { nullable: true }),
    resumeAt: t.expose("resumeAt", { type: "DateTime", nullable: true, description: "When a wait or retry is due" }),
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
