/**
 * Workflow use cases, shared by GraphQL, REST and the seed. Every save is
 * validated in full and writes an immutable WorkflowVersion snapshot.
 */
import { jsonColumn } from "../db/json.js";
import { bumpRevision, type ValidationLimits, validateWorkflow, WORKFLOWS_REVISION } from "../engine/index.js";
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
}

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
  if (problems.length > 0 || !result.ok) throw new ValidationError(problems);
  // Empty triggers are stored as {} so every client sees one shape.
  return { graph: result.graph, trigger: input.trigger ?? {} };
}

export async function createWorkflow(deps: ServiceDeps, input: WorkflowInput): Promise<Workflow> {
  const { graph, trigger } = checkDefinition(deps, input);
  return deps.db.$transaction(async (tx) => {
    const workflow = await tx.workflow.create({
      data: {
        name: input.name,
        description: input.description ?? null,
        trigger: jsonColumn(trigger),
        graph: jsonColumn(graph) ?? {},
        isActive: input.isActive ?? true,
        versions: {
          create: { version: 1, name: input.name, graph: jsonColumn(graph) ?? {}, trigger: jsonColumn(trigger) },
        },
      },
    });
    await bumpRevision(tx, WORKFLOWS_REVISION);
    return workflow;
  });
}

export async function getWorkflow(deps: ServiceDeps, id: string): Promise<Workflow> {
  const workflow = await deps.db.workflow.findFirst({ where: { id, deletedAt: null } });
  if (!workflow) throw new NotFoundError("Workflow", id);
  return workflow;
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
  };
  const { graph, trigger } = checkDefinition(deps, merged);
  const version = current.version + 1;
  return deps.db.$transaction(async (tx) => {
    // Conditional on the version read above, so two concurrent updates cannot both claim one version.
    const { count } = await tx.workflow.updateMany({
      where: { id, version: current.version, deletedAt: null },
      data: {
        name: merged.name,
        description: merged.description ?? null,
        trigger: jsonColumn(trigger),
        graph: jsonColumn(graph) ?? {},
        isActive: merged.isActive ?? true,
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
      },
    });
    await bumpRevision(tx, WORKFLOWS_REVISION);
    return tx.workflow.findUniqueOrThrow({ where: { id } });
  });
}

/**
 * Deletes a workflow: it stops matching events and its running executions are
 * cancelled. The rows stay (soft delete) so past executions keep their history.
 */
export async function deleteWorkflow(deps: ServiceDeps, id: string): Promise<void> {
  await getWorkflow(deps, id);
  await deps.db.$transaction(async (tx) => {
    await tx.workflow.update({ where: { id }, data: { deletedAt: deps.clock.now(), isActive: false } });
    await bumpRevision(tx, WORKFLOWS_REVISION);
  });
  const running = await deps.db.execution.findMany({
    where: { workflowId: id, status: { in: ["PENDING", "RUNNING"] } },
    select: { id: true },
  });
  for (const execution of running) await cancelExecution(deps, execution.id, { ifActive: true });
}
