import { storedFlowControl, validateWorkflow } from "../../engine/index.js";
import { NotFoundError } from "../../errors.js";
import {
  createWorkflow,
  deleteWorkflow,
  graphLimits,
  pauseWorkflow,
  resumeWorkflow,
  updateWorkflow,
  type WorkflowInput,
} from "../../services/workflows.js";
import { builder } from "../builder.js";
import { LIST_PAGE, listPage } from "../pages.js";
import {
  ConcurrencyLimitRef,
  DebounceRef,
  flowControlInputFields,
  RateLimitRef,
  withoutNulls,
} from "./flow-control.js";
import { pageArgs } from "./page-args.js";
import { ProblemRef } from "./scalars.js";
import { RunAtInput, ScheduleInput } from "./schedule.js";

/** Versions a workflow lists by default: the latest hundred edits. */
const VERSIONS_PAGE = 100;

builder.prismaObject("Workflow", {
  description: "A saved workflow: a graph of nodes started by events that match its trigger.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    description: t.exposeString("description", { nullable: true }),
    trigger: t.expose("trigger", { type: "JSON", nullable: true, description: "JSONLogic rule; {} never matches" }),
    graph: t.expose("graph", { type: "JSON", description: "{nodes, edges}, UI fields kept" }),
    isActive: t.exposeBoolean("isActive"),
    paused: t.boolean({
      description: "Paused by pauseWorkflow: matches no events, fires no schedule, runs no step until resumed",
      select: { pausedAt: true },
      resolve: (w) => w.pausedAt !== null,
    }),
    pausedAt: t.expose("pausedAt", { type: "DateTime", nullable: true, description: "When it was paused" }),
    cancelOn: t.expose("cancelOn", {
      type: "JSON",
      nullable: true,
      description: "JSONLogic rule (templates rendered per execution): a matching event cancels a live execution",
    }),
    timeoutMs: t.exposeInt("timeoutMs", {
      nullable: true,
      description: "An execution still unfinished this long after it started fails",
    }),
    concurrency: t.field({
      type: [ConcurrencyLimitRef],
      description: "Concurrency limits, all of which apply (e.g. per customer and in total); [] : none",
      resolve: (w) => storedFlowControl(w.flowControl)?.concurrency ?? [],
    }),
    rateLimit: t.field({
      type: RateLimitRef,
      nullable: true,
      resolve: (w) => storedFlowControl(w.flowControl)?.rateLimit ?? null,
    }),
    debounce: t.field({
      type: DebounceRef,
      nullable: true,
      resolve: (w) => storedFlowControl(w.flowControl)?.debounce ?? null,
    }),
    priority: t.field({
      type: "JSON",
      nullable: true,
      description:
        "A number from -100 to 100 or a template; among executions waiting for capacity, higher starts first",
      resolve: (w) => storedFlowControl(w.flowControl)?.priority ?? null,
    }),
    version: t.exposeInt("version", { description: "Grows by one on every update" }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    versions: t.relation("versions", {
      description: `Saved versions, newest first; a page of \`first\` (default ${VERSIONS_PAGE}, at most ${LIST_PAGE.max}) after skipping \`offset\``,
      args: pageArgs(VERSIONS_PAGE),
      query: (args) => ({ orderBy: { version: "desc" }, ...listPage("versions", args, VERSIONS_PAGE) }),
    }),
    executions: t.relatedConnection("executions", {
      cursor: "id",
      description: "This workflow's executions, newest first",
      query: { orderBy: [{ createdAt: "desc" }, { id: "desc" }] },
    }),
  }),
});

builder.prismaObject("WorkflowVersion", {
  description: "An immutable snapshot written on create and on every update.",
  fields: (t) => ({
    id: t.exposeID("id"),
    version: t.exposeInt("version"),
    name: t.exposeString("name"),
    graph: t.expose("graph", { type: "JSON" }),
    trigger: t.expose("trigger", { type: "JSON", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    workflow: t.relation("workflow"),
  }),
});

const WorkflowCreateInput = builder.inputType("WorkflowInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    description: t.string(),
    trigger: t.field({ type: "JSON", description: "JSONLogic rule; omitted or {}: never matches" }),
    graph: t.field({ type: "JSON", description: "{nodes, edges}; omitted: an empty draft" }),
    isActive: t.boolean({ defaultValue: true }),
    cancelOn: t.field({
      type: "JSON",
      description: "JSONLogic rule over events, templated per execution; a match cancels a live execution",
    }),
    timeoutMs: t.int({ description: "An execution still unfinished this long after it started fails" }),
    ...flowControlInputFields(t),
    schedules: t.field({ type: [ScheduleInput], description: "Cron schedules; null or []: none" }),
    runAt: t.field({ type: [RunAtInput], description: "One-off timed starts; null or []: none" }),
  }),
});

const WorkflowPatchInput = builder.inputType("WorkflowPatch", {
  description: "Fields left out keep their value.",
  fields: (t) => ({
    name: t.string(),
    description: t.string(),
    trigger: t.field({ type: "JSON" }),
    graph: t.field({ type: "JSON" }),
    isActive: t.boolean(),
    cancelOn: t.field({ type: "JSON", description: "null or {}: none" }),
    timeoutMs: t.int({ description: "null: no limit" }),
    ...flowControlInputFields(t),
    schedules: t.field({ type: [ScheduleInput], description: "Cron schedules; null or []: none" }),
    runAt: t.field({ type: [RunAtInput], description: "One-off timed starts; null or []: none" }),
  }),
});

const ValidationResultRef = builder
  .objectRef<{ valid: boolean; problems: { path: string; message: string }[] }>("ValidationResult")
  .implement({
    fields: (t) => ({
      valid: t.exposeBoolean("valid"),
      problems: t.field({ type: [ProblemRef], resolve: (r) => r.problems }),
    }),
  });

const DeletedRef = builder.objectRef<{ id: string }>("DeleteWorkflowPayload").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    deleted: t.boolean({ resolve: () => true }),
  }),
});

/** GraphQL gives explicit nulls for omitted-then-defaulted args; the services want undefined. */
function definedOnly<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The flow-control inputs without the nulls GraphQL fills omitted fields with (an explicit null field stays: "none"). */
function withFlowControl<T extends Record<string, unknown>>(input: T): T {
  const out: Record<string, unknown> = { ...input };
  for (const key of ["concurrency", "rateLimit", "debounce"]) {
    if (out[key] !== undefined && out[key] !== null) out[key] = withoutNulls(out[key]);
  }
  return out as T;
}

builder.queryFields((t) => ({
  workflows: t.prismaConnection(
    {
      type: "Workflow",
      cursor: "id",
      description: "Saved workflows, oldest first",
      args: { isActive: t.arg.boolean() },
      resolve: (query, _root, args, ctx) =>
        ctx.db.workflow.findMany({
          ...query,
          where: { deletedAt: null, ...(args.isActive == null ? {} : { isActive: args.isActive }) },
          orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        }),
    },
    { name: "WorkflowConnection" },
    { name: "WorkflowEdge" },
  ),
  workflow: t.prismaField({
    type: "Workflow",
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      const workflow = await ctx.db.workflow.findFirst({ ...query, where: { id: String(id), deletedAt: null } });
      if (!workflow) throw new NotFoundError("Workflow", String(id));
      return workflow;
    },
  }),
  validateWorkflow: t.field({
    type: ValidationResultRef,
    description: "Every problem of a definition, without saving it",
    args: { graph: t.arg({ type: "JSON" }), trigger: t.arg({ type: "JSON" }) },
    resolve: (_root, args, ctx) => {
      const definition = { graph: args.graph, trigger: args.trigger };
      const result = validateWorkflow(definition, ctx.services.registry, graphLimits(ctx.services));
      return result.ok ? { valid: true, problems: [] } : { valid: false, problems: result.issues };
    },
  }),
}));

builder.mutationFields((t) => ({
  createWorkflow: t.prismaField({
    type: "Workflow",
    args: { input: t.arg({ type: WorkflowCreateInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const created = await createWorkflow(ctx.services, withFlowControl(definedOnly(input)) as WorkflowInput);
      return ctx.db.workflow.findUniqueOrThrow({ ...query, where: { id: created.id } });
    },
  }),
  updateWorkflow: t.prismaField({
    type: "Workflow",
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: WorkflowPatchInput, required: true }) },
    resolve: async (query, _root, { id, input }, ctx) => {
      const patch = withFlowControl(definedOnly(input));
      const updated = await updateWorkflow(ctx.services, String(id), {
        ...patch,
        name: patch.name ?? undefined,
        isActive: patch.isActive ?? undefined,
      });
      return ctx.db.workflow.findUniqueOrThrow({ ...query, where: { id: updated.id } });
    },
  }),
  pauseWorkflow: t.prismaField({
    type: "Workflow",
    description:
      "Pauses the workflow: it matches no events, its schedules stop, and its live executions stop before their next step (steps already running finish), staying RUNNING with `paused` until resumeWorkflow. cancelExecution still works. Pausing again changes nothing.",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      const paused = await pauseWorkflow(ctx.services, String(id));
      return ctx.db.workflow.findUniqueOrThrow({ ...query, where: { id: paused.id } });
    },
  }),
  resumeWorkflow: t.prismaField({
    type: "Workflow",
    description:
      "Resumes a paused workflow: its executions continue where they stopped, it matches events again, and its schedules fire from their next instant (no catch-up of the paused time).",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      const resumed = await resumeWorkflow(ctx.services, String(id));
      return ctx.db.workflow.findUniqueOrThrow({ ...query, where: { id: resumed.id } });
    },
  }),
  deleteWorkflow: t.field({
    type: DeletedRef,
    description: "Stops matching events and cancels the workflow's running executions",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      await deleteWorkflow(ctx.services, String(id));
      return { id: String(id) };
    },
  }),
}));
