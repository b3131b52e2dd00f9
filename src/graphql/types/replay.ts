import { abortReplay, getReplay, previewReplay, type ReplayFilter, replayExecutions } from "../../services/replays.js";
import { builder } from "../builder.js";
import { countOpen } from "../live/count-open.js";
import { replayUpdates } from "../live/replay-updates.js";
import { LIST_PAGE, listPage } from "../pages.js";
import { pageArgs } from "./page-args.js";
import { ExecutionStatusEnum } from "./scalars.js";

const ReplayStatusEnum = builder.enumType("ReplayStatus", {
  values: {
    RUNNING: { description: "Rerunning, a throttled batch at a time" },
    COMPLETED: { description: "Every matching execution was rerun (or skipped)" },
    ABORTED: { description: "Stopped by abortReplay; reruns already started go on" },
  },
});

builder.prismaObject("Replay", {
  description: "A bulk replay: every execution of a workflow matching a filter, rerun once each (replayExecutions).",
  fields: (t) => ({
    id: t.exposeID("id"),
    workflowId: t.exposeID("workflowId"),
    workflow: t.relation("workflow"),
    status: t.field({ type: ReplayStatusEnum, resolve: (r) => r.status as "RUNNING" | "COMPLETED" | "ABORTED" }),
    filter: t.expose("filter", { type: "JSON", description: "{status?, from?, to?} as given" }),
    fromFailedStep: t.exposeBoolean("fromFailedStep", {
      description: "Failed executions rerun from their failed step (the others from the start)",
    }),
    total: t.exposeInt("total", { description: "Executions the filter matched when it started" }),
    rerun: t.exposeInt("rerun", { description: "Reruns started so far" }),
    skipped: t.exposeInt("skipped", {
      description: "Matching executions not rerun (still running when their turn came)",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
    executions: t.relation("executions", {
      description: `The reruns it started, oldest first; a page of \`first\` (default and at most ${LIST_PAGE.max}) after skipping \`offset\``,
      args: pageArgs(LIST_PAGE.max),
      query: (args) => ({
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        ...listPage("executions", args, LIST_PAGE.max),
      }),
    }),
  }),
});

const ReplayFilterInput = builder.inputType("ReplayFilter", {
  description: "Which executions a replay reruns: a workflow's, created in [from, to), with this status",
  fields: (t) => ({
    workflowId: t.id({ required: true }),
    status: t.field({
      type: ExecutionStatusEnum,
      description: "A final status (SUCCEEDED, FAILED, CANCELLED, SKIPPED)",
    }),
    from: t.field({ type: "DateTime", description: "Created at or after" }),
    to: t.field({ type: "DateTime", description: "Created before" }),
  }),
});

type FilterArgs = { workflowId: string | number; status?: string | null; from?: Date | null; to?: Date | null };

function filterOf(input: FilterArgs): ReplayFilter {
  return {
    workflowId: String(input.workflowId),
    ...(input.status ? { status: input.status as ReplayFilter["status"] } : {}),
    ...(input.from ? { from: input.from } : {}),
    ...(input.to ? { to: input.to } : {}),
  };
}

builder.queryFields((t) => ({
  replay: t.prismaField({
    type: "Replay",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      await getReplay(ctx.services, String(id));
      return ctx.db.replay.findUniqueOrThrow({ ...query, where: { id: String(id) } });
    },
  }),
  previewReplay: t.int({
    description: "How many executions replayExecutions would rerun with this filter, now; nothing runs",
    args: { filter: t.arg({ type: ReplayFilterInput, required: true }) },
    resolve: (_root, { filter }, ctx) => previewReplay(ctx.services, filterOf(filter)),
  }),
}));

builder.mutationFields((t) => ({
  replayExecutions: t.prismaField({
    type: "Replay",
    description:
      "Reruns every execution the filter matches (created before this call), a throttled batch at a time " +
      "(REPLAY_RATE_PER_SECOND): failed ones from their failed step with fromFailedStep (default), the others from " +
      "the start. Each execution is rerun at most once per replay. Follow it with replayUpdated; stop it with abortReplay",
    args: {
      filter: t.arg({ type: ReplayFilterInput, required: true }),
      fromFailedStep: t.arg.boolean({ defaultValue: true }),
    },
    resolve: async (query, _root, args, ctx) => {
      const started = await replayExecutions(ctx.services, filterOf(args.filter), args.fromFailedStep ?? true);
      return ctx.db.replay.findUniqueOrThrow({ ...query, where: { id: started.id } });
    },
  }),
  abortReplay: t.prismaField({
    type: "Replay",
    description: "Stops a RUNNING replay: no batch starts after this; reruns already started go on",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      await abortReplay(ctx.services, String(id));
      return ctx.db.replay.findUniqueOrThrow({ ...query, where: { id: String(id) } });
    },
  }),
}));

builder.subscriptionFields((t) => ({
  replayUpdated: t.prismaField({
    type: "Replay",
    description: "The replay as it is now, then after every batch; completes once it is COMPLETED or ABORTED",
    args: { id: t.arg.id({ required: true }) },
    subscribe: (_root, { id }, ctx) => countOpen(ctx.subscriptionsOpen, replayUpdates(ctx, String(id))),
    resolve: (query, update, _args, ctx) =>
      ctx.db.replay.findUniqueOrThrow({ ...query, where: { id: update.replayId } }),
  }),
}));
