/** A retryable failure with attempts left: the step goes back to PENDING until its retry time. */
import type { SqlDb } from "../../db/sql.js";
import { inExecutionTransaction } from "./execution-lock.js";
import { type Finish, releaseHeld } from "./held-step.js";

/** RUNNING → PENDING until `retryAt`, with the next attempt's job. False if not held. */
export function retryStepLater(db: SqlDb, finish: Finish & { error: string; retryAt: Date }) {
  return inExecutionTransaction(db, finish.step.executionId, async (tx, changes) => {
    const fields = { error: finish.error, resumeAt: finish.retryAt };
    if (!(await releaseHeld(tx, changes, finish, "PENDING", fields))) return false;
    const { stepId, executionId } = finish.step;
    changes.enqueue({ stepId, executionId, generation: String(finish.attempt + 1), runAt: finish.retryAt });
    return true;
  });
}
