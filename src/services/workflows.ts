/**
 * Workflow use cases, shared by GraphQL, REST and the seed. Every save is
 * validated in full and writes an immutable WorkflowVersion snapshot.
 */
import { jsonColumn } from "../db/json.js";
import { prismaSql } from "../db/sql.js";
import {
  bumpRevision,
  checkFlowControl,
  checkRule,
  checkSchedules,
  checkTemplates,
  enqueueHeldSteps,
  enqueueTimers,
  type FlowControl,
  type FlowControlInput,
  isPlainObject,
  type JsonLogicRule,
  type ScheduleDefinitions,
  type ScheduleTimer,
  saveSchedules,
  storedFlowControl,
  type ValidationLimits,
  validateWorkflow,
  WORKFLOWS_REVISION,
} from "../engine/index.js";
import { ConflictError, NotFoundError, type Problem, ValidationError } from "../errors.js";
import type { Workflow } from "../generated/prisma/client.js";
import type { ServiceDeps } from "./deps.js";
import { cancelExecution } from "./executions.js";

export interface WorkflowInput {
  name: string;
  description?: string | null;
  trigger?: unknown;
  graph?: unknown;
  isActive?: boolean;
  /** JSONLogic rule (templated per execution) whose matching event cancels a live execution; null: none. */
  cancelOn?: unknown;
  /** An execution unfinished this long after it started fails; null: no limit. */
  timeoutMs?: number | null;
  /** Flow control (engine/flow-control.ts): a limit or a list of limits; null: none. */
  concurrency?: unknown;
  rateLimit?: unknown;
  debounce?: unknown;
  /** A whole number from -100 to 100, or a template rendered from the event; null: 0. */
  priority?: unknown;
  /** Cron schedules (engine/schedule-definitions.ts); left out: kept, null or []: none. */
  schedules?: unknown;
  /** One-off timed starts: [{id?, at, payload?}]; left out: kept, null or []: none. */
  runAt?: unknown;
}

/** Schedules as they are (a save that leaves both lists out). */
const NO_CHANGE: ScheduleDefinitions = {};

/** The longest execution timeout accepted. */
export const MAX_EXECUTION_TIMEOUT_MS = 365 * 24 * 60 * 60 * 1000;

export const MAX_NAME_LENGTH = 200;

/** This deployment's graph size limits (MAX_GRAPH_NODES, MAX_GRAPH_EDGES), for every validation of a graph. */
export function graphLimits(deps: Pick<ServiceDeps, "limits">): ValidationLimits {
  return { maxNodes: deps.limits.MAX_GRAPH_NODES, maxEdges: deps.limits.MAX_GRAPH_EDGES };
}

/** Checks everything about a definition; throws ValidationError listing every problem. */
function checkDefinition(deps: ServiceDeps, input: WorkflowInput) {
  const problems: Problem[] = [];
  if (typeof input.name !== "string" || input.name.trim() === "") problems.push({ path: "name", message: "required" });
  else if (input.name.length > MAX_NAME_LENGTH) {
    problems.push({ path: "name", message: `at most ${MAX_NAME_LENGTH} characters` });
  }
  const result = validateWorkflow({ graph: input.graph, trigger: input.trigger }, deps.registry, graphLimits(deps));
  if (!result.ok) problems.push(...result.issues);
  const flow = checkFlowControl(input);
  const timed = checkSchedules(input);
  problems.push(...checkCancelOn(input.cancelOn), ...checkTimeout(input.timeoutMs), ...flow.problems);
  problems.push(...timed.problems);
  if (problems.length > 0 || !result.ok) throw new ValidationError(problems);
  // Empty triggers are stored as {} so every client sees one shape; an empty cancelOn is none.
  const cancelOn = isEmptyCancelOn(input.cancelOn) ? null : input.cancelOn;
  const columns = {
    cancelOn: jsonColumn(cancelOn),
    timeoutMs: input.timeoutMs ?? null,
    flowControl: jsonColumn(flow.flow),
  };
  return { graph: result.graph, trigger: input.trigger ?? {}, columns, schedules: timed.definitions };
}

function isEmptyCancelOn(rule: unknown): boolean {
  return rule === undefined || rule === null || (isPlainObject(rule) && Object.keys(rule).length === 0);
}

function checkCancelOn(rule: unknown): Problem[] {
  if (isEmptyCancelOn(rule)) return [];
  if (!isPlainObject(rule)) return [{ path: "cancelOn", message: "must be a JSONLogic rule (an object)" }];
  return [...checkRule(rule as JsonLogicRule, "cancelOn"), ...checkTemplates(rule, "cancelOn", new Set())];
}

function checkTimeout(timeoutMs: unknown): Problem[] {
  if (timeoutMs === undefined || timeoutMs === null) return [];
  if (
    typeof timeoutMs !== "number" ||
    !Number.isInteger(timeoutMs) ||
    timeoutMs < 1 ||
    timeoutMs > MAX_EXECUTION_TIMEOUT_MS
  ) {
    return [
      { path: "timeoutMs", message: `must be a whole number of milliseconds from 1 to ${MAX_EXECUTION_TIMEOUT_MS}` },
    ];
  }
  return [];
}

/** The flow-control fields after a patch: each one left out keeps its stored value. */
function mergeFlowControl(stored: FlowControl | null, patch: Partial<WorkflowInput>): FlowControlInput {
  const pick = <K extends keyof FlowControlInput>(key: K, current: unknown) =>
    patch[key] === undefined ? current : patch[key];
  return {
    concurrency: pick("concurrency", stored?.concurrency.length ? stored.concurrency : null),
    rateLimit: pick("rateLimit", stored?.rateLimit ?? null),
    debounce: pick("debounce", stored?.debounce ?? null),
    priority: pick("priority", stored?.priority ?? null),
  };
}

export async function createWorkflow(deps: ServiceDeps, input: WorkflowInput): Promise<Workflow> {
  const { graph, trigger, columns: limits, schedules } = checkDefinition(deps, input);
  let timers: ScheduleTimer[] = [];
  const created = await deps.db.$transaction(async (tx) => {
    const workflow = await tx.workflow.create({
      data: {
        name: input.name,
        description: input.description ?? null,
        trigger: jsonColumn(trigger),
        graph: jsonColumn(graph) ?? {},
        isActive: input.isActive ?? true,
        ...limits,
        versions: {
          create: {
            version: 1,
            name: input.name,
            graph: jsonColumn(graph) ?? {},
            trigger: jsonColumn(trigger),
            ...limits,
          },
        },
      },
    });
    timers = await saveSchedules(prismaSql(tx), workflow.id, schedules, workflow.isActive, deps.clock.now());
    await bumpRevision(tx, WORKFLOWS_REVISION);
    return workflow;
  });
  await enqueueTimers(deps, timers);
  return created;
}

export function getWorkflow(deps: ServiceDeps, id: string): Promise<Workflow> {
  return findLive(deps.db, id);
}

export interface ListWorkflowsArgs {
  isActive?: boolean;
  take?: number;
  /** Id of the last workflow of the previous page. */
  afterId?: string;
}

/** Oldest first, as the original engine listed them. */
export function listWorkflows(deps: ServiceDeps, args: ListWorkflowsArgs = {}): Promise<Workflow[]> {
  return deps.db.workflow.findMany({
    where: { deletedAt: null, ...(args.isActive === undefined ? {} : { isActive: args.isActive }) },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    take: args.take,
    ...(args.afterId ? { cursor: { id: args.afterId }, skip: 1 } : {}),
  });
}

/**
 * Partial update: fields left out keep their value. Each update is a new
 * version; executions already running keep the version they started on.
 */
export async function updateWorkflow(deps: ServiceDeps, id: string, patch: Partial<WorkflowInput>): Promise<Workflow> {
  const current = await getWorkflow(deps, id);
  const merged: WorkflowInput = {
    name: patch.name ?? current.name,
    description: patch.description === undefined ? current.description : patch.description,
    trigger: patch.trigger === undefined ? current.trigger : patch.trigger,
    graph: patch.graph === undefined ? current.graph : patch.graph,
    isActive: patch.isActive ?? current.isActive,
    cancelOn: patch.cancelOn === undefined ? current.cancelOn : patch.cancelOn,
    timeoutMs: patch.timeoutMs === undefined ? current.timeoutMs : patch.timeoutMs,
    ...mergeFlowControl(storedFlowControl(current.flowControl), patch),
    // Left out, schedules keep their rows (and state) as they are.
    schedules: patch.schedules,
    runAt: patch.runAt,
  };
  const { graph, trigger, columns: limits, schedules } = checkDefinition(deps, merged);
  const version = current.version + 1;
  let timers: ScheduleTimer[] = [];
  const updated = await deps.db.$transaction(async (tx) => {
    // Conditional on the version read above, so two concurrent updates cannot both claim one version.
    const { count } = await tx.workflow.updateMany({
      where: { id, version: current.version, deletedAt: null },
      data: {
        name: merged.name,
        description: merged.description ?? null,
        trigger: jsonColumn(trigger),
        graph: jsonColumn(graph) ?? {},
        isActive: merged.isActive ?? true,
        ...limits,
        version,
      },
    });
    if (count === 0) throw new ConflictError("the workflow was changed by someone else; read it again and retry");
    await tx.workflowVersion.create({
      data: {
        workflowId: id,
        version,
        name: merged.name,
        graph: jsonColumn(graph) ?? {},
        trigger: jsonColumn(trigger),
        ...limits,
      },
    });
    // A paused workflow's timers stay stopped until it is resumed.
    const fires = (merged.isActive ?? true) && current.pausedAt === null;
    timers = await saveSchedules(prismaSql(tx), id, schedules, fires, deps.clock.now());
    await bumpRevision(tx, WORKFLOWS_REVISION);
    return tx.workflow.findUniqueOrThrow({ where: { id } });
  });
  await enqueueTimers(deps, timers);
  return updated;
}

/**
 * Pauses a workflow: it matches no events, its schedules stop, and its live executions stop before
 * their next step (steps already running finish; waits still end, but what follows them waits),
 * staying RUNNING and `paused` until resumed. Cancelling still works. Pausing a paused workflow
 * changes nothing (it keeps the first `pausedAt`).
 */
export async function pauseWorkflow(deps: ServiceDeps, id: string): Promise<Workflow> {
  await getWorkflow(deps, id);
  const now = deps.clock.now();
  return deps.db.$transaction(async (tx) => {
    const { count } = await tx.workflow.updateMany({
      where: { id, deletedAt: null, pausedAt: null },
      data: { pausedAt: now },
    });
    if (count > 0) {
      await saveSchedules(prismaSql(tx), id, NO_CHANGE, false, now); // every timer stops
      await bumpRevision(tx, WORKFLOWS_REVISION); // triggers: it matches no events from now on
    }
    return findLive(tx, id);
  });
}

/**
 * Resumes a paused workflow: it matches events again, its schedules fire from their next instant
 * (instants passed while paused are not caught up), and every step its pause held gets its job
 * back, so its executions continue where they stopped. Resuming a workflow not paused changes nothing.
 */
export async function resumeWorkflow(deps: ServiceDeps, id: string): Promise<Workflow> {
  await getWorkflow(deps, id);
  const now = deps.clock.now();
  let timers: ScheduleTimer[] = [];
  let resumed = false;
  const workflow = await deps.db.$transaction(async (tx) => {
    const { count } = await tx.workflow.updateMany({
      where: { id, deletedAt: null, pausedAt: { not: null } },
      data: { pausedAt: null },
    });
    resumed = count > 0;
    const current = await findLive(tx, id);
    if (resumed) {
      timers = await saveSchedules(prismaSql(tx), id, NO_CHANGE, current.isActive, now);
      await bumpRevision(tx, WORKFLOWS_REVISION);
    }
    return current;
  });
  if (resumed) {
    await enqueueTimers(deps, timers);
    // A failure here loses nothing: the held steps are overdue PENDING rows the reconciler re-enqueues.
    await enqueueHeldSteps(deps, id, now).catch((error: unknown) =>
      deps.logger.error({ err: error, workflowId: id }, "enqueueing a resumed workflow's steps failed"),
    );
  }
  return workflow;
}

/** The workflow unless deleted (through the client or a transaction); NotFoundError otherwise. */
async function findLive(tx: Pick<ServiceDeps["db"], "workflow">, id: string): Promise<Workflow> {
  const workflow = await tx.workflow.findFirst({ where: { id, deletedAt: null } });
  if (!workflow) throw new NotFoundError("Workflow", id);
  return workflow;
}

/**
 * Deletes a workflow: it stops matching events and its running executions are
 * cancelled. The rows stay (soft delete) so past executions keep their history.
 */
export async function deleteWorkflow(deps: ServiceDeps, id: string): Promise<void> {
  await getWorkflow(deps, id);
  await deps.db.$transaction(async (tx) => {
    await tx.workflow.update({ where: { id }, data: { deletedAt: deps.clock.now(), isActive: false } });
    await saveSchedules(prismaSql(tx), id, NO_CHANGE, false, deps.clock.now()); // every timer stops
    await bumpRevision(tx, WORKFLOWS_REVISION);
  });
  const running = await deps.db.execution.findMany({
    where: { workflowId: id, status: { in: ["PENDING", "RUNNING"] } },
    select: { id: true },
  });
  for (const execution of running) await cancelExecution(deps, execution.id, { ifActive: true });
}
