/** A step that failed for good: it is FAILED, its execution FAILED, and nothing new starts. */
import type { SqlDb } from "../../db/sql.js";
import { failExecution } from "./advance-execution.js";
import { ACTIVE_EXECUTION } from "./change-set.js";
import { inExecutionTransaction } from "./execution-lock.js";
import { type Finish, releaseHeld } from "./held-step.js";

/** RUNNING → FAILED; the execution fails with `<nodeId>: <error>`. False if not held. */
export function failStep(db: SqlDb, finish: Finish & { error: string }, now: Date) {
  return inExecutionTransaction(db, finish.step.executionId, async (tx, changes) => {
    if (!(await releaseHeld(tx, changes, finish, "FAILED", { error: finish.error, finishedAt: now }))) return false;
    if (ACTIVE_EXECUTION.has(changes.execution.status)) {
      await failExecution(tx, changes, `${finish.step.nodeId}: ${finish.error}`, now);
    }
    return true;
  });
}
