/**
 * Recording a step that succeeded in the execution's locked transaction: the
 * way for every case a single statement cannot decide (a join, the end of a
 * path while others are open, the step limit, an execution no longer
 * RUNNING). Reads every step of the execution with the update, then plans.
 */
import type { SqlDb } from "../../db/sql.js";
import type { PinnedWorkflow } from "../workflow-cache.js";
import { type AdvanceOptions, advanceExecution, type ClaimedStep } from "./advance-execution.js";
import type { ChangeSet } from "./change-set.js";
import { inExecutionTransaction } from "./execution-lock.js";
import { releaseSucceeded, type Succeeded } from "./held-step.js";

/** RUNNING → SUCCEEDED, then on to the successors; the result is the successor claimed for the caller, if any. */
export function succeedLocked(
  db: SqlDb,
  workflow: PinnedWorkflow,
  finish: Succeeded,
  options: AdvanceOptions,
): Promise<{ result: ClaimedStep | undefined; changes: ChangeSet }> {
  return inExecutionTransaction(db, finish.step.executionId, async (tx, changes) => {
    const rows = await releaseSucceeded(tx, changes, finish, { error: null, finishedAt: options.now });
    if (!rows) return undefined;
    return advanceExecution(tx, changes, workflow, [finish.step.nodeId], rows, options);
  });
}
