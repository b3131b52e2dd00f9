/**
 * What the engine does to executions as a whole, for the services: start
 * them (directly, or with the event that matched them), cancel and retry.
 * Each writes through the store, then enqueues and publishes what changed.
 */
import type { SqlDb } from "../db/sql.js";
import { NotFoundError } from "../errors.js";
import type { Event, Execution } from "../generated/prisma/client.js";
import type { Clock } from "./ports.js";
import { type AfterCommitDeps, afterCommit } from "./runner/after-commit.js";
import { cancelExecution as cancelInStore } from "./store/cancel-execution.js";
import { retryExecution as retryInStore } from "./store/retry-execution.js";
import { type NewExecution, newExecution, writeEvent, writeExecutions } from "./store/start-executions.js";
import { currentWorkflowVersion } from "./store/workflow-version.js";
import type { PinnedWorkflow, WorkflowCache } from "./workflow-cache.js";

export type { NewExecution } from "./store/start-executions.js";

/** What these operations need. */
export interface ExecutionDeps extends AfterCommitDeps {
  sql: SqlDb;
  workflows: WorkflowCache;
  clock: Clock;
}

/** An execution of `workflow`, planned (ids, entry step) but not written yet. */
export function planExecution(workflow: PinnedWorkflow): NewExecution {
  return newExecution(workflow);
}

/** Starts a workflow's current version directly, ignoring its trigger and whether it is active. */
export async function startExecution(deps: ExecutionDeps, workflowId: string, payload: unknown): Promise<Execution> {
  const version = await currentWorkflowVersion(deps.sql, workflowId);
  if (version === undefined) throw new NotFoundError("Workflow", workflowId);
  const planned = newExecution(await deps.workflows.get(workflowId, version));
  const [execution] = await writeExecutions(deps.sql, [planned], payload, deps.clock.now());
  await afterCommit(deps, [planned.changes]);
  return execution as Execution;
}

/**
 * Writes an event with the executions its triggers started, if the workflows
 * revision is still `revision` (the one they were matched at); undefined, with
 * nothing written, when it moved. A unique violation when the idempotency key
 * was taken meanwhile (nothing written either).
 */
export async function startForEvent(
  deps: ExecutionDeps,
  event: { payload: unknown; idempotencyKey: string | null },
  planned: readonly NewExecution[],
  revision: bigint,
): Promise<{ event: Event; executions: Execution[] } | undefined> {
  const written = await writeEvent(deps.sql, event, planned, deps.clock.now(), revision);
  if (written)
    await afterCommit(
      deps,
      planned.map((p) => p.changes),
    );
  return written;
}

/** Cancels a PENDING or RUNNING execution (see store/cancel-execution.ts). */
export async function cancelExecution(deps: ExecutionDeps, id: string, options: { ifActive?: boolean } = {}) {
  const changes = await cancelInStore(deps.sql, id, deps.clock.now(), options);
  await afterCommit(deps, [changes]);
}

/** Continues a FAILED execution from its failed steps (see store/retry-execution.ts). */
export async function retryExecution(
  deps: ExecutionDeps,
  pinned: { id: string; workflowId: string; workflowVersion: number },
) {
  const workflow = await deps.workflows.get(pinned.workflowId, pinned.workflowVersion);
  const changes = await retryInStore(deps.sql, workflow, pinned.id, deps.clock.now());
  await afterCommit(deps, [changes]);
}
