/**
 * The transitions almost every step goes through, each ONE statement that
 * PostgreSQL commits on its own (shared with other executions' requests of
 * the same kind: batched-statements.ts), instead of a transaction of four
 * round trips (BEGIN with the lock, update, write, COMMIT):
 *
 * - claiming a step (PENDING, or RUNNING with an expired lease → RUNNING);
 * - finishing a step whose successors cannot depend on any other step: every
 *   node its completion reaches (the next nodes of a chain or a fan-out, a
 *   branch's choice and the paths it skips) has no source outside that
 *   completion, and the execution cannot end here (independentPlan).
 *
 * The statement locks the execution row before anything else, so it is
 * serialised with every other change of the execution exactly as the locked
 * transaction is; then makes its conditional update of the step; and writes
 * the ChangeSet's rows only if that update took effect, numbered from the seq
 * the lock read. A last step is finished the same way, and so is a step
 * together with the steps run in memory after it (completeInOneStatement);
 * anything else (a join, a stopped execution) goes through the locked
 * transaction in transitions.ts.
 */
import type { SqlDb } from "../../db/sql.js";
import type { StepStatus } from "../../generated/prisma/enums.js";
import { type AdvanceOptions, type ClaimedStep, createPlannedSteps } from "./advance.js";
import { batchedClaim, batchedFinish, type FinishRequest } from "./batched-statements.js";
import { ChangeSet, type PendingNotification, type RanStep } from "./execution-lock.js";
import { type PlannedStep, planSuccessors, type StepState } from "./plan-successors.js";
import type { Finish, StepRef } from "./transitions.js";
import type { PinnedWorkflow } from "./workflow-cache.js";

/** What claiming a job's step found, and whether it now holds the step. */
export interface JobClaim {
  /** The step as the claim found it (its status before the claim). */
  step: { nodeId: string; status: StepStatus; resumeAt: Date | null; leaseUntil: Date | null };
  execution: { workflowId: string; workflowVersion: number; payload: unknown };
  /** Set when the caller now holds the step. */
  claim?: { attempt: number; lostRuns: number };
  changes: ChangeSet;
}

/**
 * PENDING (its retry time, if any, come) or RUNNING with an expired lease →
 * RUNNING, attempt + 1; taking over an expired lease also counts a lost run.
 * The execution becomes RUNNING if it was PENDING. No claim when someone else
 * holds the step, it is not runnable yet, or the execution is over; undefined
 * when the step or its execution no longer exists. One round trip serves both
 * the claim and the job's read of the step and its execution.
 */
export async function claimJob(
  db: SqlDb,
  job: { stepId: string; executionId: string },
  options: { now: Date; leaseMs: number },
): Promise<JobClaim | undefined> {
  const leaseUntil = new Date(options.now.getTime() + options.leaseMs);
  const row = await batchedClaim(db, { ...job, now: options.now, leaseUntil });
  if (!row?.stepStatus || !row.nodeId) return undefined;
  const { attempt, lostRuns, payload, stepStatus, nodeId, resumeAt, leaseUntil: held, ...execution } = row;
  const changes = new ChangeSet(execution);
  const found = {
    step: { nodeId, status: stepStatus, resumeAt, leaseUntil: held },
    execution: { workflowId: execution.workflowId, workflowVersion: execution.workflowVersion, payload },
    changes,
  };
  if (attempt === null || lostRuns === null) return found;
  // The same changes, in the same order, as the rows the statement wrote, for publishing.
  if (row.status === "PENDING") changes.executionStatus("RUNNING", { startedAt: options.now });
  changes.step({ id: job.stepId, nodeId, status: "RUNNING" });
  return { ...found, claim: { attempt, lostRuns } };
}

/** claimJob for a step known to exist: `result` is the claim, undefined if not taken. */
export async function claimStep(db: SqlDb, step: StepRef, options: { now: Date; leaseMs: number }) {
  const taken = await claimJob(db, step, options);
  if (!taken) missing(step.executionId);
  return { result: taken.claim, changes: taken.changes };
}

/** The execution of a step this worker holds has no row: it was deleted under it. */
export function missing(executionId: string): never {
  throw new Error(`execution ${executionId} not found while changing one of its steps`);
}

/**
 * The steps a finished step creates when no other step can change them: every
 * node its completion reaches (its successors, and theirs when skipped) has
 * only that step or nodes skipped by it as sources, so the plan is the same
 * whatever the rest of the execution holds. That covers chains, fan-out and a
 * branch whose unchosen paths are skipped. At least one step must be runnable
 * (so the execution cannot end here), and the graph small enough that the step
 * limit cannot be reached (every node runs at most once). Undefined when the
 * locked transaction must decide (joins, the end of the execution, the limit).
 */
export function independentPlan(
  workflow: PinnedWorkflow,
  nodeId: string,
  next: readonly string[],
  maxStepsPerExecution: number,
): readonly PlannedStep[] | undefined {
  const { index } = workflow;
  if (index.nodes.size > maxStepsPerExecution) return undefined;
  const known = new Map<string, StepState>([[nodeId, { status: "SUCCEEDED", next }]]);
  const planned = planSuccessors(index, known, [nodeId]);
  for (const step of planned) known.set(step.nodeId, { status: step.status, next: [] });
  // Every node reached must have been decided from these states alone.
  const reached = [nodeId, ...planned.filter((p) => p.status === "SKIPPED").map((p) => p.nodeId)];
  const decided = reached
    .flatMap((id) => index.outgoing(id))
    .every((target) => known.has(target) && index.incoming(target).every((source) => known.has(source)));
  return decided && planned.some((p) => p.status === "PENDING") ? planned : undefined;
}

/** The batched statement's request for a step that succeeded with `changes` (numbered from 0). */
export function finishRequest(
  finish: Finish & { next: readonly string[] },
  changes: ChangeSet,
  now: Date,
  last: boolean,
): FinishRequest {
  const { executionId, stepId } = finish.step;
  const { attempt, input, output, next } = finish;
  return { executionId, stepId, attempt, input, output, next, finishedAt: now, last, changes };
}

/** An empty change set of a RUNNING execution at `seq` (what a statement that wrote nothing announces). */
export function noChanges(workflow: PinnedWorkflow, executionId: string, seq: number): ChangeSet {
  const { workflowId, version: workflowVersion } = workflow;
  return new ChangeSet({ id: executionId, workflowId, workflowVersion, status: "RUNNING", seq });
}

/**
 * A finished step's changes, numbered from seq 0 (rebased once the statement
 * has read the execution's seq): SUCCEEDED, and what its handler sent. For a
 * new execution's entry step taken without a claim (`entry`), first what the
 * claim would have announced: the execution RUNNING, the step RUNNING.
 */
export function succeededChanges(workflow: PinnedWorkflow, finish: Finish, entry?: { startedAt: Date }): ChangeSet {
  const { stepId, executionId, nodeId } = finish.step;
  const changes = noChanges(workflow, executionId, 0);
  if (entry) {
    changes.executionStatus("RUNNING", { startedAt: entry.startedAt });
    changes.step({ id: stepId, nodeId, status: "RUNNING" });
  }
  changes.step({ id: stepId, nodeId, status: "SUCCEEDED" });
  changes.notifications(stepId, finish.notifications ?? []);
  return changes;
}

/** A step run in memory right after the step before it (see NodeHandler.runsInMemory). */
export interface RanAhead {
  nodeId: string;
  type: string;
  ran: RanStep;
  notifications: readonly PendingNotification[];
  /** What the completion of the step before it plans: this step (PENDING) and any it skips. */
  createdWith: readonly PlannedStep[];
}

/**
 * What the completion of `nodeId` starts when that depends on nothing else
 * (independentPlan); undefined when the node has no successors (its
 * completion may end the execution); null when only the locked transaction
 * can tell (a join, the step limit).
 */
export function planAfter(
  workflow: PinnedWorkflow,
  nodeId: string,
  next: readonly string[],
  maxStepsPerExecution: number,
): readonly PlannedStep[] | undefined | null {
  if (workflow.index.outgoing(nodeId).length === 0) return undefined;
  return independentPlan(workflow, nodeId, next, maxStepsPerExecution) ?? null;
}

/**
 * RUNNING → SUCCEEDED for a step, in one statement, with what follows it: the
 * steps run in memory after it (`ahead`, often none; their rows are created
 * already SUCCEEDED) and `after`, the successors of the last of them (or of
 * the step itself) as planAfter planned them, the first runnable one claimed
 * for the caller when `claimNextForMs` is set. When `after` is undefined
 * nothing follows, and the execution SUCCEEDED with this statement if no
 * other step is open.
 *
 * Whether another step is open is read in the statement's snapshot, and that
 * snapshot may be older than the lock the statement then waits for: a change
 * committed in between would be missed. Every change of an execution's steps
 * also moves its seq in the same transaction, so for a last step the read is
 * trusted only when the snapshot already holds the seq the lock returned.
 *
 * `result` is the successor claimed, if any; `changes` is empty when the
 * caller no longer held the step. Undefined when this statement cannot decide
 * (the execution is not RUNNING, or a last step's snapshot was not fresh):
 * nothing was written, and the caller records the step in the locked
 * transaction (steps ahead then run again, which they may: they changed
 * nothing outside these rows).
 *
 * With `entry`, the step is a new execution's entry step that no one has
 * claimed (EntryHint): the statement takes it from PENDING, and the execution
 * from PENDING, as the claim would have, and records it in the same breath.
 * Undefined, with nothing written, when either was touched since they were
 * created: the caller then claims the step as usual.
 */
export async function completeInOneStatement(
  db: SqlDb,
  workflow: PinnedWorkflow,
  finish: Finish & { next: readonly string[] },
  ahead: readonly RanAhead[],
  after: readonly PlannedStep[] | undefined,
  options: AdvanceOptions,
  entry?: { startedAt: Date },
): Promise<{ result: ClaimedStep | undefined; changes: ChangeSet } | undefined> {
  const { executionId } = finish.step;
  const changes = succeededChanges(workflow, finish, entry);
  for (const step of ahead) {
    for (const planned of step.createdWith) {
      if (planned.nodeId === step.nodeId) changes.createRanStep(step, options.now);
      else createPlannedSteps(changes, workflow, [planned], options.now);
    }
  }
  const last = after === undefined;
  const claimed = after && createPlannedSteps(changes, workflow, after, options.now, options.claimNextForMs);
  const request = finishRequest(finish, changes, options.now, last);
  const row = await batchedFinish(db, entry ? { ...request, fromPending: entry } : request);
  if (!row) return entry ? undefined : missing(executionId);
  if (row.status !== (entry ? "PENDING" : "RUNNING") || (last && !row.fresh)) return undefined;
  if (!row.released)
    return entry ? undefined : { result: undefined, changes: noChanges(workflow, executionId, row.seq) };
  changes.rebase(row.seq);
  if (row.ends) changes.executionStatus("SUCCEEDED", { finishedAt: options.now });
  return { result: claimed, changes };
}
