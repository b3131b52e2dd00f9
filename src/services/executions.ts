/**
 * Execution use cases: start, read, cancel, retry. Input is checked here;
 * the changes themselves are the engine's (src/engine/index.ts).
 */
import * as engine from "../engine/index.js";
import { NotFoundError } from "../errors.js";
import type { Execution, Step } from "../generated/prisma/client.js";
import type { ServiceDeps } from "./deps.js";
import { checkSearch, containingPageIds, type ExecutionSearch } from "./execution-search.js";
import { checkPayload } from "./payload.js";

/** Starts a workflow directly, ignoring its trigger and whether it is active. */
export async function startExecution(deps: ServiceDeps, workflowId: string, payload: unknown = {}): Promise<Execution> {
  checkPayload(payload, deps.limits.MAX_EVENT_BYTES, "payload");
  return engine.startExecution(deps, workflowId, payload);
}

export async function getExecution(deps: ServiceDeps, id: string): Promise<Execution> {
  const execution = await deps.db.execution.findUnique({ where: { id } });
  if (!execution) throw new NotFoundError("Execution", id);
  return execution;
}

/** A containment search's page when the caller gives none. */
const EXECUTIONS_SEARCH_PAGE = 100;

export interface ListExecutionsArgs extends ExecutionSearch {
  take?: number;
  afterId?: string;
}

/** Newest first, filtered as execution-search.ts says (a containment search: its first page only). */
export async function listExecutions(deps: ServiceDeps, args: ListExecutionsArgs = {}): Promise<Execution[]> {
  checkSearch(args);
  const containing =
    args.payloadContains === undefined
      ? {}
      : { id: { in: await containingPageIds(deps, args, { take: args.take ?? EXECUTIONS_SEARCH_PAGE }) } };
  return deps.db.execution.findMany({
    where: {
      ...(args.workflowId ? { workflowId: args.workflowId } : {}),
      ...(args.status ? { status: args.status } : {}),
      AND: [args.from ? { createdAt: { gte: args.from } } : {}, args.to ? { createdAt: { lt: args.to } } : {}],
      ...containing,
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: args.take,
    ...(args.afterId ? { cursor: { id: args.afterId }, skip: 1 } : {}),
  });
}

/** The steps of an execution in the order they were created. */
export async function listSteps(deps: ServiceDeps, executionId: string): Promise<Step[]> {
  await getExecution(deps, executionId);
  return deps.db.step.findMany({ where: { executionId }, orderBy: { seq: "asc" } });
}

/**
 * Cancels a PENDING or RUNNING execution: open steps are CANCELLED, and a step
 * running right now has its result discarded when it finishes.
 */
export async function cancelExecution(
  deps: ServiceDeps,
  id: string,
  options: { ifActive?: boolean } = {},
): Promise<Execution> {
  await engine.cancelExecution(deps, id, options);
  return getExecution(deps, id);
}

/**
 * A FAILED execution continues from its failed steps: they (and the steps the
 * failure cancelled) run again, succeeded steps are kept, and paths that were
 * cut short by the failure resume.
 */
export async function retryExecution(deps: ServiceDeps, id: string): Promise<Execution> {
  await engine.retryExecution(deps, await getExecution(deps, id));
  return getExecution(deps, id);
}
