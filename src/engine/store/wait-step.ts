/** A step that waits (a delay): RUNNING → WAITING until a time, with a job for then. */
import type { SqlDb } from "../../db/sql.js";
import { inExecutionTransaction } from "./execution-lock.js";
import { type Finish, releaseHeld } from "./held-step.js";

/** RUNNING → WAITING until `until`; a job for the end of the wait is enqueued after commit. False if not held. */
export function waitStep(db: SqlDb, finish: Finish & { until: Date }) {
  return inExecutionTransaction(db, finish.step.executionId, async (tx, changes) => {
    if (!(await releaseHeld(tx, changes, finish, "WAITING", { resumeAt: finish.until }))) return false;
    const { stepId, executionId } = finish.step;
    changes.enqueue({ stepId, executionId, generation: "w", runAt: finish.until });
    return true;
  });
}
