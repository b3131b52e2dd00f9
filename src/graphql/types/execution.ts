import { explainCapacityWait } from "../../engine/index.js";
import { NotFoundError } from "../../errors.js";
import { checkSearch, containingPageIds, type ExecutionSearch } from "../../services/execution-search.js";
import { cancelExecution, retryExecution, startExecution } from "../../services/executions.js";
import { rerunExecution } from "../../services/reruns.js";
import { builder } from "../builder.js";
import { LIST_PAGE, listPage } from "../pages.js";
import { CapacityWaitRef } from "./flow-control.js";
import { pageArgs } from "./page-args.js";
import { ExecutionStatusEnum } from "./scalars.js";

builder.prismaObject("Execution", {
  description: "One run of a workflow, pinned to the version it started on.",
  fields: (t) => ({
    id: t.exposeID("id"),
    workflowId: t.exposeID("workflowId"),
    workflow: t.relation("workflow"),
    workflowVersion: t.exposeInt("workflowVersion", { description: "The version this execution runs" }),
    status: t.expose("status", { type: ExecutionStatusEnum }),
    paused: t.boolean({
      description:
        "Live (PENDING or RUNNING) while its workflow is paused: it runs no further step until resumeWorkflow",
      select: { status: true, workflow: { select: { pausedAt: true } } },
      resolve: (e) => (e.status === "PENDING" || e.status === "RUNNING") && e.workflow.pausedAt !== null,
    }),
    payload: t.expose("payload", { type: "JSON", description: "The event body (REST calls it context)" }),
    event: t.relation("event", { nullable: true }),
    error: t.exposeString("error", { nullable: true }),
    parent: t.relation("parent", {
      nullable: true,
      description: "The execution whose call_workflow or for_each step started this one",
    }),
    parentStepId: t.exposeID("parentStepId", { nullable: true, description: "That step" }),
    childIndex: t.exposeInt("childIndex", {
      nullable: true,
      description: "Which of that step's children: 0 for call_workflow, the item's index for for_each",
    }),
    callDepth: t.exposeInt("callDepth", { description: "How deep in nested calls (0: no step started it)" }),
    rerunOf: t.relation("rerunOf", { nullable: true, description: "The execution this one reruns (rerunExecution)" }),
    rerunFromNodeId: t.exposeID("rerunFromNodeId", { nullable: true, description: "The node it reran from" }),
    reruns: t.relation("reruns", {
      description: `Reruns of this execution, oldest first; a page of \`first\` (default and at most ${LIST_PAGE.max}) after skipping \`offset\``,
      args: pageArgs(LIST_PAGE.max),
      query: (args) => ({ orderBy: [{ createdAt: "asc" }, { id: "asc" }], ...listPage("reruns", args, LIST_PAGE.max) }),
    }),
    children: t.relation("children", {
      description: `Executions its steps started (call_workflow, for_each), in the order they started, then by item index; a page of \`first\` (default and at most ${LIST_PAGE.max}) after skipping \`offset\``,
      args: pageArgs(LIST_PAGE.max),
      query: (args) => ({
        orderBy: [{ createdAt: "asc" }, { childIndex: "asc" }],
        ...listPage("children", args, LIST_PAGE.max),
      }),
    }),
    seq: t.exposeInt("seq", { description: "Number of the latest change; grows with every change" }),
    waitingFor: t.field({
      type: CapacityWaitRef,
      nullable: true,
      description: "While it waits in line for capacity (concurrency, rate limit): which limit, which key, its place",
      select: { id: true, status: true },
      resolve: async (e, _args, ctx) =>
        e.status === "PENDING" || e.status === "RUNNING"
          ? ((await explainCapacityWait(ctx.services.sql, e.id)) ?? null)
          : null,
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
    durationMs: t.int({
      nullable: true,
      description: "From start to finish, or to now while running",
      select: { startedAt: true, finishedAt: true },
      resolve: (e) => (e.startedAt ? (e.finishedAt ?? new Date()).getTime() - e.startedAt.getTime() : null),
    }),
    steps: t.relation("steps", {
      description: `One per node visited, in execution order; a page of \`first\` (default and at most ${LIST_PAGE.max}) after skipping \`offset\``,
      args: pageArgs(LIST_PAGE.max),
      query: (args) => ({ orderBy: { seq: "asc" }, ...listPage("steps", args, LIST_PAGE.max) }),
    }),
    notifications: t.relation("notifications", {
      description: `What send_notification steps delivered, in the order of their steps; a page of \`first\` (default and at most ${LIST_PAGE.max}) after skipping \`offset\``,
      args: pageArgs(LIST_PAGE.max),
      query: (args) => ({
        orderBy: [{ step: { seq: "asc" } }, { id: "asc" }],
        ...listPage("notifications", args, LIST_PAGE.max),
      }),
    }),
  }),
});

builder.queryFields((t) => ({
  executions: t.prismaConnection(
    {
      type: "Execution",
      cursor: "id",
      description:
        "Executions, newest first; filtered by workflow, status, creation time [from, to) and what their payload contains",
      args: {
        workflowId: t.arg.id(),
        status: t.arg({ type: ExecutionStatusEnum }),
        from: t.arg({ type: "DateTime", description: "Created at or after" }),
        to: t.arg({ type: "DateTime", description: "Created before" }),
        payloadContains: t.arg({
          type: "JSON",
          description:
            'Only executions whose payload contains this JSON (PostgreSQL @>), e.g. {customer: {id: "c-42"}}',
        }),
      },
      resolve: async (query, _root, args, ctx) => {
        const search: ExecutionSearch = {
          ...(args.workflowId ? { workflowId: String(args.workflowId) } : {}),
          ...(args.status ? { status: args.status } : {}),
          ...(args.from ? { from: args.from } : {}),
          ...(args.to ? { to: args.to } : {}),
          ...(args.payloadContains !== undefined && args.payloadContains !== null
            ? { payloadContains: args.payloadContains }
            : {}),
        };
        checkSearch(search);
        // Keyset pages: Prisma turns a cursor into "same createdAt and id <= it, or earlier
        // createdAt", an OR no index can start from, so a page deep in 100,000 executions read
        // every row before it (10 ms, growing with depth). Bounding createdAt by the cursor's
        // own lets the createdAt indexes start at the cursor (0.5 ms at any depth).
        const { cursor, take } = query as { cursor?: { id?: string }; take?: number };
        const from = cursor?.id
          ? await ctx.db.execution.findUnique({ where: { id: cursor.id }, select: { createdAt: true } })
          : null;
        const bound = from ? { createdAt: (take ?? 0) < 0 ? { gte: from.createdAt } : { lte: from.createdAt } } : {};
        const page = from && cursor?.id ? { cursor: { createdAt: from.createdAt, id: cursor.id } } : {};
        const containing =
          search.payloadContains === undefined
            ? {}
            : { id: { in: await containingPageIds(ctx.services, search, { ...page, take: take ?? 0 }) } };
        return ctx.db.execution.findMany({
          ...query,
          where: {
            ...(search.workflowId ? { workflowId: search.workflowId } : {}),
            ...(search.status ? { status: search.status } : {}),
            AND: [
              bound,
              search.from ? { createdAt: { gte: search.from } } : {},
              search.to ? { createdAt: { lt: search.to } } : {},
            ],
            ...containing,
          },
          orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        });
      },
    },
    { name: "ExecutionConnection" },
    { name: "ExecutionEdge" },
  ),
  execution: t.prismaField({
    type: "Execution",
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      const execution = await ctx.db.execution.findUnique({ ...query, where: { id: String(id) } });
      if (!execution) throw new NotFoundError("Execution", String(id));
      return execution;
    },
  }),
}));

builder.mutationFields((t) => ({
  startExecution: t.prismaField({
    type: "Execution",
    description: "Starts a workflow directly, ignoring its trigger and whether it is active",
    args: { workflowId: t.arg.id({ required: true }), payload: t.arg({ type: "JSON", description: "Defaults to {}" }) },
    resolve: async (query, _root, args, ctx) => {
      const started = await startExecution(ctx.services, String(args.workflowId), args.payload ?? {});
      return ctx.db.execution.findUniqueOrThrow({ ...query, where: { id: started.id } });
    },
  }),
  cancelExecution: t.prismaField({
    type: "Execution",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      await cancelExecution(ctx.services, String(id));
      return ctx.db.execution.findUniqueOrThrow({ ...query, where: { id: String(id) } });
    },
  }),
  rerunExecution: t.prismaField({
    type: "Execution",
    description:
      "Runs a finished execution (any final status) again from one of its nodes, as a new execution on the same " +
      "version linked by rerunOf: the steps not downstream of that node are copied (their outputs visible to " +
      "templates), the node and what follows run again; `input` replaces that node's data for the rerun only",
    args: {
      id: t.arg.id({ required: true }),
      fromNodeId: t.arg.id({ required: true }),
      input: t.arg({ type: "JSON", description: "The node's data for this rerun, checked against its node type" }),
    },
    resolve: async (query, _root, args, ctx) => {
      const rerun = await rerunExecution(ctx.services, String(args.id), {
        fromNodeId: String(args.fromNodeId),
        ...(args.input === null || args.input === undefined ? {} : { input: args.input }),
      });
      return ctx.db.execution.findUniqueOrThrow({ ...query, where: { id: rerun.id } });
    },
  }),
  retryExecution: t.prismaField({
    type: "Execution",
    description: "A FAILED execution continues from its failed steps, keeping the succeeded ones",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      await retryExecution(ctx.services, String(id));
      return ctx.db.execution.findUniqueOrThrow({ ...query, where: { id: String(id) } });
    },
  }),
}));
