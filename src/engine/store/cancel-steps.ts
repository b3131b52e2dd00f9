/**
 * Cancelling what an execution has open, in its locked transaction: its steps of the given
 * statuses, what they waited for (event waits), and, when waiting steps are cancelled (the
 * execution failed or was cancelled), its live child executions with their own children. A child
 * is locked only after its parent, never the other way round (a child's end wakes its parent
 * through a job, runner/after-commit.ts), so the two cannot deadlock.
 */
import { Prisma } from "../../generated/prisma/client.js";
import type { StepStatus } from "../../generated/prisma/enums.js";
import { ACTIVE_EXECUTION, type ChangeSet } from "./change-set.js";
import { persistChangeSet } from "./change-set-sql.js";
import { deleteStepWaits } from "./event-waits.js";
import { lockExecutionIn, type Tx } from "./execution-lock.js";

export async function cancelOpenSteps(tx: Tx, changes: ChangeSet, statuses: StepStatus[], now: Date): Promise<void> {
  const cancelled = await tx.query<{ id: string; nodeId: string }>(Prisma.sql`
    UPDATE "Step" SET status = 'CANCELLED', "finishedAt" = ${now}, "resumeAt" = NULL, "leaseUntil" = NULL
    WHERE "executionId" = ${changes.execution.id}
      AND status::text IN (${Prisma.join(statuses)})
    RETURNING id, "nodeId"`);
  for (const step of cancelled) changes.step({ ...step, status: "CANCELLED" });
  if (statuses.includes("WAITING")) {
    // A cancelled wait for an event waits no more (the execution's cancelOn stays, for a retry).
    await deleteStepWaits(tx, changes.execution.id);
    // Nor do children run on for a parent that failed or was cancelled.
    await cancelChildren(tx, changes, now);
  }
}

/**
 * Cancels the live children of the execution `parent` holds the lock of (it failed or was
 * cancelled), their own children with them, and forgets what its steps waited for. Each child's
 * changes ride with the parent's set.
 */
async function cancelChildren(tx: Tx, parent: ChangeSet, now: Date): Promise<void> {
  const parentId = parent.execution.id;
  const live = await tx.query<{ id: string }>(Prisma.sql`
    WITH batches AS (DELETE FROM "ChildBatch" WHERE "executionId" = ${parentId})
    SELECT id FROM "Execution"
    WHERE "parentExecutionId" = ${parentId} AND status IN ('PENDING', 'RUNNING') ORDER BY id`);
  for (const { id } of live) {
    const child = await lockExecutionIn(tx, id);
    if (!child || !ACTIVE_EXECUTION.has(child.execution.status)) continue;
    child.executionStatus("CANCELLED", { finishedAt: now, error: `cancelled with its parent execution ${parentId}` });
    await cancelOpenSteps(tx, child, ["PENDING", "WAITING", "RUNNING"], now);
    // Its running calls are aborted as for any cancel (the published CANCELLED says so).
    await persistChangeSet(tx, child);
    parent.others.push(child);
  }
}
