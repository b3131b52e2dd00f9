/** Cancelling an execution: it and its open steps are CANCELLED in one locked transaction. */
import type { SqlDb } from "../../db/sql.js";
import { ConflictError, NotFoundError } from "../../errors.js";
import { cancelOpenSteps } from "./cancel-steps.js";
import type { ChangeSet } from "./change-set.js";
import { inExecutionTransaction, type Tx } from "./execution-lock.js";

/**
 * PENDING or RUNNING → CANCELLED, with every PENDING, WAITING or RUNNING step;
 * a step running right now has its result discarded when it finishes (its
 * record finds it no longer held). ConflictError for an execution already
 * over, unless `ifActive` (then nothing changes); NotFoundError if missing.
 */
export async function cancelExecution(
  db: SqlDb,
  id: string,
  now: Date,
  options: { ifActive?: boolean } = {},
): Promise<ChangeSet> {
  const { changes } = await inExecutionTransaction(db, id, async (tx, changes) => {
    const status = changes.execution.status;
    if (status !== "PENDING" && status !== "RUNNING") {
      if (options.ifActive) return;
      throw new ConflictError(`execution is already ${status}; only PENDING or RUNNING executions can be cancelled`);
    }
    await cancelLocked(tx, changes, now);
  }).catch((error: unknown) => {
    throw error instanceof NotFoundError ? new NotFoundError("Execution", id) : error;
  });
  return changes;
}

/** Cancels the execution whose lock `tx` holds, with its open steps (and what they wait for). */
export async function cancelLocked(tx: Tx, changes: ChangeSet, now: Date): Promise<void> {
  changes.executionStatus("CANCELLED", { finishedAt: now });
  await cancelOpenSteps(tx, changes, ["PENDING", "WAITING", "RUNNING"], now);
}
