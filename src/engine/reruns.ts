/**
 * Reruns: a finished execution run again from one of its nodes, on its own version, with that
 * node's data optionally replaced; what is upstream of the node is copied from the original
 * (store/rerun-execution.ts). Bulk replays (replays.ts) start theirs through here too.
 */
import { ConflictError, ValidationError } from "../errors.js";
import type { Execution } from "../generated/prisma/client.js";
import type { ExecutionDeps } from "./executions.js";
import { planExecution } from "./executions.js";
import { afterCommit } from "./runner/after-commit.js";
import { FINAL_EXECUTION } from "./store/change-set.js";
import { writeRerun } from "./store/rerun-execution.js";

export interface RerunRequest {
  fromNodeId: string;
  /** Node data replacing fromNodeId's (already validated against its schema). */
  input?: Record<string, unknown>;
  replayId?: string;
}

/**
 * Starts the rerun; its id, or undefined when `replayId` reran this execution already.
 * NotFoundError for a node the version does not have; ConflictError for an execution not finished.
 */
export async function rerunExecution(
  deps: ExecutionDeps,
  original: Execution,
  request: RerunRequest,
): Promise<string | undefined> {
  if (!FINAL_EXECUTION.has(original.status)) {
    throw new ConflictError(`execution is ${original.status}; only a finished execution can be rerun`);
  }
  const workflow = await deps.workflows.get(original.workflowId, original.workflowVersion);
  if (!workflow.index.node(request.fromNodeId)) {
    throw new ValidationError([
      {
        path: "fromNodeId",
        message: `version ${original.workflowVersion} of the workflow has no node "${request.fromNodeId}"`,
      },
    ]);
  }
  // A rerun of a rerun keeps the data its original replaced, unless replaced again.
  const earlier = (original.dataOverrides ?? null) as Record<string, unknown> | null;
  const dataOverrides =
    request.input === undefined ? earlier : { ...(earlier ?? {}), [request.fromNodeId]: request.input };
  const planned = planExecution(workflow, original.payload);
  const rerun = {
    originalId: original.id,
    payload: original.payload,
    fromNodeId: request.fromNodeId,
    dataOverrides,
    ...(request.replayId ? { replayId: request.replayId } : {}),
  };
  if (!(await writeRerun(deps.sql, workflow, planned, rerun, deps.clock.now()))) return undefined;
  await afterCommit(deps, [planned.changes]);
  return planned.id;
}
