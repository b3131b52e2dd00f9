/**
 * Execution use cases: start, read, cancel, retry. Starting writes the
 * execution and its entry step in one statement (new-executions.ts), then
 * enqueues the step.
 */
import { cancelOpenSteps, createPlannedSteps, readSteps } from "../engine/runner/advance.js";
import { afterCommit } from "../engine/runner/after-commit.js";
import { ACTIVE_STEP_STATUSES, inExecutionTransaction } from "../engine/runner/execution-lock.js";
import { planSuccessors, type StepState } from "../engine/runner/plan-successors.js";
import { ConflictError, NotFoundError } from "../errors.js";
import { type Execution, type ExecutionStatus, Prisma, type Step } from "../generated/prisma/client.js";
import type { ServiceDeps } from "./deps.js";
import { newExecution, writeExecutions } from "./new-executions.js";
import { checkPayload } from "./payload.js";

/** Starts a workflow directly, ignoring its trigger and whether it is active. */
export async function startExecution(deps: ServiceDeps, workflowId: string, payload: unknown = {}): Promise<Execution> {
  checkPayload(payload, deps.limits.MAX_EVENT_BYTES, "payload");
  const [workflow] = await deps.sql.query<{ version: number }>(Prisma.sql`
    SELECT version FROM "Workflow" WHERE id = ${workflowId} AND "deletedAt" IS NULL`);
  if (!workflow) throw new NotFoundError("Workflow", workflowId);
  const planned = newExecution(await deps.workflows.get(workflowId, workflow.version));
  const [execution] = await writeExecutions(deps.sql, [planned], payload, deps.clock.now());
  await afterCommit(deps, [planned.changes]);
  return execution as Execution;
}

export async function getExecution(deps: ServiceDeps, id: string): Promise<Execution> {
  const execution = await deps.db.execution.findUnique({ where: { id } });
  if (!execution) throw new NotFoundError("Execution", id);
  return execution;
}

export interface ListExecutionsArgs {
  workflowId?: string;
  status?: ExecutionStatus;
  take?: number;
  afterId?: string;
}

/** Newest first. */
export function listExecutions(deps: ServiceDeps, args: ListExecutionsArgs = {}): Promise<Execution[]> {
  return deps.db.execution.findMany({
    where: {
      ...(args.workflowId ? { workflowId: args.workflowId } : {}),
      ...(args.status ? { status: args.status } : {}),
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
  const { changes } = await inExecutionTransaction(deps.sql, id, async (tx, changes) => {
    const status = changes.execution.status;
    if (status !== "PENDING" && status !== "RUNNING") {
      if (options.ifActive) return;
      throw new ConflictError(`execution is already ${status}; only PENDING or RUNNING executions can be cancelled`);
    }
    const now = deps.clock.now();
    changes.executionStatus("CANCELLED", { finishedAt: now });
    await cancelOpenSteps(tx, changes, ["PENDING", "WAITING", "RUNNING"], now);
  }).catch((error: unknown) => {
    throw error instanceof NotFoundError ? new NotFoundError("Execution", id) : error;
  });
  await afterCommit(deps, [changes]);
  return getExecution(deps, id);
}

/**
 * A FAILED execution continues from its failed steps: they (and the steps the
 * failure cancelled) run again, succeeded steps are kept, and paths that were
 * cut short by the failure resume.
 */
export async function retryExecution(deps: ServiceDeps, id: string): Promise<Execution> {
  const pinned = await getExecution(deps, id);
  const workflow = await deps.workflows.get(pinned.workflowId, pinned.workflowVersion);
  const { changes } = await inExecutionTransaction(deps.sql, id, async (tx, changes) => {
    if (changes.execution.status !== "FAILED") {
      throw new ConflictError(`execution is ${changes.execution.status}; only FAILED executions can be retried`);
    }
    changes.executionStatus("RUNNING", { error: null, finishedAt: null });
    const again = await tx.query<{ id: string; nodeId: string }>(Prisma.sql`
      UPDATE "Step"
      SET status = 'PENDING', attempt = 0, "lostRuns" = 0, error = NULL, output = 'null'::jsonb,
          "resumeAt" = NULL, "startedAt" = NULL, "finishedAt" = NULL, "leaseUntil" = NULL
      WHERE "executionId" = ${id} AND status IN ('FAILED', 'CANCELLED')
      RETURNING id, "nodeId"`);
    for (const step of again) {
      changes.step({ ...step, status: "PENDING" });
      changes.enqueue({ stepId: step.id, executionId: id, generation: "1" });
    }
    // Steps that succeeded while the execution was failing never started their successors.
    const rows = await readSteps(tx, id);
    const states = new Map<string, StepState>(rows.map((r) => [r.nodeId, { status: r.status, next: r.next }]));
    const succeeded = rows.filter((r) => r.status === "SUCCEEDED").map((r) => r.nodeId);
    const planned = planSuccessors(workflow.index, states, succeeded);
    createPlannedSteps(changes, workflow, planned, deps.clock.now());
    const open =
      rows.filter((r) => ACTIVE_STEP_STATUSES.includes(r.status)).length +
      planned.filter((p) => p.status === "PENDING").length;
    if (open === 0) changes.executionStatus("SUCCEEDED", { finishedAt: deps.clock.now() });
  });
  await afterCommit(deps, [changes]);
  return getExecution(deps, id);
}
