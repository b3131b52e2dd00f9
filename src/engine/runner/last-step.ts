/**
 * A step with no successors, finished in one statement like the others in
 * single-statement.ts; the execution SUCCEEDED with it when no other step is
 * open.
 *
 * Whether another step is open is read in the statement's snapshot, and that
 * snapshot may be older than the lock the statement then waits for: a change
 * committed in between would be missed. Every change of an execution's steps
 * also moves its seq in the same transaction, so the read is trusted only when
 * the snapshot already holds the seq the lock returned; otherwise nothing is
 * written and the caller uses the locked transaction.
 */
import type { SqlDb } from "../../db/sql.js";
import { batchedFinish } from "./batched-statements.js";
import type { ChangeSet } from "./execution-lock.js";
import { finishRequest, missing, noChanges, succeededChanges } from "./single-statement.js";
import type { Finish } from "./transitions.js";
import type { PinnedWorkflow } from "./workflow-cache.js";

/**
 * `result` is always undefined (nothing follows); `changes` is empty when the
 * caller no longer held the step. Undefined when the locked transaction must
 * decide (the execution is not RUNNING, or the snapshot was not fresh).
 */
export async function completeLastStep(
  db: SqlDb,
  workflow: PinnedWorkflow,
  finish: Finish & { next: readonly string[] },
  now: Date,
): Promise<{ result: undefined; changes: ChangeSet } | undefined> {
  const { executionId } = finish.step;
  const changes = succeededChanges(workflow, finish);
  const row = await batchedFinish(db, finishRequest(finish, changes, now, true));
  if (!row) missing(executionId);
  if (!row.fresh || row.status !== "RUNNING") return undefined;
  if (!row.released) return { result: undefined, changes: noChanges(workflow, executionId, row.seq) };
  changes.rebase(row.seq);
  if (row.ends) changes.executionStatus("SUCCEEDED", { finishedAt: now });
  return { result: undefined, changes };
}
