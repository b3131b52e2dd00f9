/**
 * The state changes of a step, each one transaction on the locked execution.
 * Every update is conditional on the state the caller saw (status and attempt),
 * so a step that finished, or was taken over after its lease expired, is never
 * moved twice: the late writer simply changes nothing.
 */
import type { Db } from "../../db/client.js";
import { jsonColumn } from "../../db/json.js";
import type { Prisma } from "../../generated/prisma/client.js";
import { type AdvanceOptions, advanceExecution, failExecution } from "./advance.js";
import { ACTIVE_EXECUTION, type ChangeSet, inExecutionTransaction, type Tx } from "./execution-lock.js";
import type { PinnedWorkflow } from "./workflow-cache.js";

export interface StepRef {
  stepId: string;
  executionId: string;
  nodeId: string;
}

export interface ClaimOptions {
  now: Date;
  leaseMs: number;
}

/**
 * PENDING (or RUNNING with an expired lease) → RUNNING, attempt + 1. Returns the
 * new attempt, or undefined when someone else holds the step or the execution
 * is over (its open steps are then cancelled).
 */
export async function claimStep(db: Db, step: StepRef, options: ClaimOptions) {
  return inExecutionTransaction(db, step.executionId, async (tx, changes) => {
    if (!ACTIVE_EXECUTION.has(changes.execution.status)) return undefined;
    // One statement: the conditional claim and the attempt it took.
    const leaseUntil = new Date(options.now.getTime() + options.leaseMs);
    const [claimed] = await tx.$queryRaw<{ attempt: number }[]>`
      UPDATE "Step"
      SET status = 'RUNNING', attempt = attempt + 1, "startedAt" = ${options.now}, "leaseUntil" = ${leaseUntil}, "resumeAt" = NULL
      WHERE id = ${step.stepId}
        AND (status = 'PENDING' OR (status = 'RUNNING' AND "leaseUntil" < ${options.now}))
      RETURNING attempt`;
    if (!claimed) return undefined;
    if (changes.execution.status === "PENDING") changes.executionStatus("RUNNING", { startedAt: options.now });
    changes.step({ id: step.stepId, nodeId: step.nodeId, status: "RUNNING" });
    return claimed.attempt;
  });
}

export interface Finish {
  step: StepRef;
  /** The attempt the caller claimed: the update applies only if it still holds the step. */
  attempt: number;
  input: unknown;
  output: unknown;
}

/**
 * Moves a step the caller still holds (RUNNING, same attempt) to `status`,
 * recording its input and output and ending its lease. False when the caller
 * lost the step (it finished elsewhere, or was taken over after the lease).
 */
async function releaseHeld(
  tx: Tx,
  changes: ChangeSet,
  finish: Finish,
  status: "SUCCEEDED" | "WAITING" | "PENDING" | "FAILED",
  data: Prisma.StepUpdateManyMutationInput,
): Promise<boolean> {
  const { count } = await tx.step.updateMany({
    where: { id: finish.step.stepId, status: "RUNNING", attempt: finish.attempt },
    data: { ...data, status, input: jsonColumn(finish.input), output: jsonColumn(finish.output), leaseUntil: null },
  });
  if (count === 0) return false;
  changes.step({ id: finish.step.stepId, nodeId: finish.step.nodeId, status });
  return true;
}

export async function completeStep(
  db: Db,
  workflow: PinnedWorkflow,
  finish: Finish & { next: readonly string[] },
  options: AdvanceOptions,
) {
  return inExecutionTransaction(db, finish.step.executionId, async (tx, changes) => {
    const data = { next: [...finish.next], error: null, finishedAt: options.now };
    if (!(await releaseHeld(tx, changes, finish, "SUCCEEDED", data))) return false;
    await advanceExecution(tx, changes, workflow, [finish.step.nodeId], options);
    return true;
  });
}

/** RUNNING → WAITING until `until`; a job for the end of the wait is enqueued after commit. */
export async function waitStep(db: Db, finish: Finish & { until: Date }) {
  return inExecutionTransaction(db, finish.step.executionId, async (tx, changes) => {
    if (!(await releaseHeld(tx, changes, finish, "WAITING", { resumeAt: finish.until }))) return false;
    const { stepId, executionId } = finish.step;
    changes.enqueue({ stepId, executionId, generation: "w", runAt: finish.until });
    return true;
  });
}

/** WAITING whose time has come → SUCCEEDED, then on to the successors. Fires once: the update is conditional. */
export async function finishWait(db: Db, workflow: PinnedWorkflow, step: StepRef, options: AdvanceOptions) {
  return inExecutionTransaction(db, step.executionId, async (tx, changes) => {
    if (changes.execution.status !== "RUNNING") return false;
    const { count } = await tx.step.updateMany({
      where: { id: step.stepId, status: "WAITING", resumeAt: { lte: options.now } },
      data: { status: "SUCCEEDED", next: [...workflow.index.outgoing(step.nodeId)], finishedAt: options.now },
    });
    if (count === 0) return false;
    changes.step({ id: step.stepId, nodeId: step.nodeId, status: "SUCCEEDED" });
    await advanceExecution(tx, changes, workflow, [step.nodeId], options);
    return true;
  });
}

/** A retryable failure with attempts left: back to PENDING until `retryAt`. */
export async function retryStepLater(db: Db, finish: Finish & { error: string; retryAt: Date }) {
  return inExecutionTransaction(db, finish.step.executionId, async (tx, changes) => {
    const data = { error: finish.error, resumeAt: finish.retryAt };
    if (!(await releaseHeld(tx, changes, finish, "PENDING", data))) return false;
    const { stepId, executionId } = finish.step;
    changes.enqueue({ stepId, executionId, generation: String(finish.attempt + 1), runAt: finish.retryAt });
    return true;
  });
}

/** The step failed for good: it is FAILED, the execution FAILED, and nothing new starts. */
export async function failStep(db: Db, finish: Finish & { error: string }, now: Date) {
  return inExecutionTransaction(db, finish.step.executionId, async (tx, changes) => {
    if (!(await releaseHeld(tx, changes, finish, "FAILED", { error: finish.error, finishedAt: now }))) return false;
    if (ACTIVE_EXECUTION.has(changes.execution.status)) {
      await failExecution(tx, changes, `${finish.step.nodeId}: ${finish.error}`, now);
    }
    return true;
  });
}
