/**
 * Recording a step that succeeded in ONE statement (finish-statement.ts),
 * PostgreSQL committing it on its own, instead of the locked transaction's
 * four round trips (BEGIN with the lock, update, write, COMMIT). Possible
 * whenever the step's own completion decides what follows (planFollowUp): the
 * next nodes of a chain or a fan-out, a branch's choice and the paths it
 * skips, or the end of the execution. The steps run in memory after it
 * (`ahead`) are written in the same statement, already SUCCEEDED.
 *
 * The statement locks the execution row before anything else, so it is
 * serialised with every other change of the execution exactly as the locked
 * transaction is; then makes its conditional update of the step; and writes
 * the change set's rows only if that update took effect.
 */
import type { SqlDb } from "../../db/sql.js";
import type { DecidedFollowUp } from "../plan-successors.js";
import type { PinnedWorkflow } from "../workflow-cache.js";
import { type AdvanceOptions, type ClaimedStep, createPlannedSteps } from "./advance-execution.js";
import { ChangeSet, type RanAhead } from "./change-set.js";
import { missingExecution } from "./claim-step.js";
import { batchedFinish, type FinishRequest } from "./finish-statement.js";
import type { Succeeded } from "./held-step.js";

/** Who holds the step being finished (see FinishRequest.taken). */
export type Holder = FinishRequest["taken"];

/**
 * RUNNING (or, for an entry step, PENDING) → SUCCEEDED, in one statement, with
 * the steps run `ahead` in memory after it and `followUp`, what follows the
 * last of them (the first runnable successor claimed for the caller when
 * `claimNextForMs` is set). With a `last` follow-up the execution SUCCEEDED
 * with this statement if no other step is open.
 *
 * Whether another step is open is read in the statement's snapshot, and that
 * snapshot may be older than the lock the statement then waits for: a change
 * committed in between would be missed. Every change of an execution's steps
 * also moves its seq in the same transaction, so for a last step the read is
 * trusted only when the snapshot already holds the seq the lock returned.
 *
 * `result` is the successor claimed, if any; `changes` is empty when a
 * claimed step was no longer the caller's. Undefined when this statement
 * cannot decide, with nothing written: the execution is not RUNNING, a last
 * step's snapshot was not fresh, the workflow is paused and the finish would
 * start another step, or (for an entry step) the step or its execution was
 * touched since they were created.
 */
export async function finishInOneStatement(
  db: SqlDb,
  workflow: PinnedWorkflow,
  finish: Succeeded,
  ahead: readonly RanAhead[],
  followUp: DecidedFollowUp,
  options: AdvanceOptions,
  taken: Holder = { by: "claim" },
): Promise<{ result: ClaimedStep | undefined; changes: ChangeSet } | undefined> {
  const { executionId, stepId } = finish.step;
  const entry = taken.by === "entry";
  const changes = succeededChanges(workflow, finish, taken);
  for (const step of ahead) {
    for (const planned of step.createdWith) {
      if (planned.nodeId === step.nodeId) changes.createRanStep(step, options.now);
      else createPlannedSteps(changes, workflow, [planned], options.now);
    }
  }
  const last = followUp.kind === "last";
  const claimed =
    followUp.kind === "successors"
      ? createPlannedSteps(changes, workflow, followUp.steps, options.now, { claimForMs: options.claimNextForMs })
      : undefined;
  const { attempt, input, output, next } = finish;
  const runsOn = entry || ahead.length > 0 || claimed !== undefined;
  const request: FinishRequest = {
    ...{ executionId, stepId, attempt, input, output, next },
    ...{ finishedAt: options.now, last, changes, taken, runsOn },
  };
  const row = await batchedFinish(db, request);
  if (!row) return entry ? undefined : missingExecution(executionId);
  if (row.status !== (entry ? "PENDING" : "RUNNING") || (last && !row.fresh)) return undefined;
  // Paused meanwhile: written by a route that starts nothing more (the locked transaction claims nothing).
  if (runsOn && row.workflowPaused && !row.released) return undefined;
  if (!row.released)
    return entry ? undefined : { result: undefined, changes: noChanges(workflow, executionId, row.seq) };
  changes.rebase(row.seq);
  const { parentExecutionId, parentStepId, wakesScheduleId } = row;
  Object.assign(changes.execution, { parentExecutionId, parentStepId, wakesScheduleId });
  if (row.ends) changes.executionStatus("SUCCEEDED", { finishedAt: options.now });
  return { result: claimed, changes };
}

/** An empty change set of a RUNNING execution at `seq` (what a statement that wrote nothing announces). */
function noChanges(workflow: PinnedWorkflow, executionId: string, seq: number): ChangeSet {
  const { workflowId, version: workflowVersion } = workflow;
  return new ChangeSet({ id: executionId, workflowId, workflowVersion, status: "RUNNING", seq });
}

/**
 * A finished step's changes, numbered from seq 0 (rebased once the statement
 * has read the execution's seq): SUCCEEDED, and what its handler sent. For a
 * new execution's entry step taken without a claim, first what the claim
 * would have announced: the execution RUNNING, the step RUNNING.
 */
function succeededChanges(workflow: PinnedWorkflow, finish: Succeeded, taken: Holder): ChangeSet {
  const { stepId, executionId, nodeId } = finish.step;
  const changes = noChanges(workflow, executionId, 0);
  if (taken.by === "entry") {
    changes.executionStatus("RUNNING", { startedAt: taken.startedAt });
    changes.step({ id: stepId, nodeId, status: "RUNNING" });
  }
  changes.step({ id: stepId, nodeId, status: "SUCCEEDED" });
  changes.notifications(stepId, finish.notifications ?? []);
  return changes;
}
