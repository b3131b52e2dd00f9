/**
 * An execution past its deadline (the workflow's timeoutMs): FAILED with
 * `execution timed out after <n> ms`, its open steps CANCELLED, running ones
 * included (workers abort their calls, as for a cancel: the changes say so),
 * and what its steps waited for released. Conditional on the execution still
 * being live and its deadline come, so a late or repeated job changes nothing.
 */
import type { SqlDb } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";
import { cancelOpenSteps } from "./cancel-steps.js";
import { ACTIVE_EXECUTION } from "./change-set.js";
import { inExecutionTransaction } from "./execution-lock.js";

/** `due`: when it is not yet due (a job that came early), the deadline to look again at. */
export async function timeOutExecution(db: SqlDb, executionId: string, now: Date) {
  return inExecutionTransaction(db, executionId, async (tx, changes) => {
    if (!ACTIVE_EXECUTION.has(changes.execution.status)) return { due: undefined };
    const [row] = await tx.query<{ deadlineAt: Date | null; timeoutMs: number | null }>(Prisma.sql`
      SELECT x."deadlineAt", v."timeoutMs" FROM "Execution" x
      JOIN "WorkflowVersion" v ON v."workflowId" = x."workflowId" AND v.version = x."workflowVersion"
      WHERE x.id = ${executionId}`);
    if (!row?.deadlineAt) return { due: undefined };
    if (row.deadlineAt > now) return { due: row.deadlineAt };
    const error = `execution timed out after ${row.timeoutMs} ms`;
    changes.executionStatus("FAILED", { error, finishedAt: now });
    await cancelOpenSteps(tx, changes, ["PENDING", "WAITING", "RUNNING"], now);
    changes.abortRunning();
    return { due: undefined };
  });
}
