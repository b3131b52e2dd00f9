/**
 * Retrying a FAILED execution: it continues from its failed steps. They (and
 * the steps the failure cancelled) run again, succeeded steps are kept, and
 * paths that were cut short by the failure resume.
 */
import type { SqlDb } from "../../db/sql.js";
import { ConflictError } from "../../errors.js";
import { Prisma } from "../../generated/prisma/client.js";
import { holdsSlots } from "../flow-control.js";
import { planSuccessors, type StepState } from "../plan-successors.js";
import type { PinnedWorkflow } from "../workflow-cache.js";
import { createPlannedSteps, readSteps } from "./advance-execution.js";
import { queueForCapacity } from "./capacity-waits.js";
import { ACTIVE_STEP_STATUSES, type ChangeSet } from "./change-set.js";
import { inExecutionTransaction } from "./execution-lock.js";

/** FAILED → RUNNING (or SUCCEEDED if nothing is left to run); ConflictError for any other status. */
export async function retryExecution(db: SqlDb, workflow: PinnedWorkflow, id: string, now: Date): Promise<ChangeSet> {
  const { changes } = await inExecutionTransaction(db, id, async (tx, changes) => {
    if (changes.execution.status !== "FAILED") {
      throw new ConflictError(`execution is ${changes.execution.status}; only FAILED executions can be retried`);
    }
    changes.executionStatus("RUNNING", { error: null, finishedAt: null });
    // With concurrency limits it runs again only once admitted (capacity-waits.ts): its steps wait for jobs.
    const inLine = holdsSlots(workflow.flow) && (await queueForCapacity(tx, id));
    if (inLine) changes.admits = true;
    const again = await tx.query<{ id: string; nodeId: string }>(Prisma.sql`
      UPDATE "Step"
      SET status = 'PENDING', attempt = 0, "lostRuns" = 0, error = NULL, output = 'null'::jsonb,
          "resumeAt" = NULL, "startedAt" = NULL, "finishedAt" = NULL, "leaseUntil" = NULL
      WHERE "executionId" = ${id} AND status IN ('FAILED', 'CANCELLED')
      RETURNING id, "nodeId"`);
    for (const step of again) {
      changes.step({ ...step, status: "PENDING" });
      if (!inLine) changes.enqueue({ stepId: step.id, executionId: id, generation: "1" });
    }
    // Steps that succeeded while the execution was failing never started their successors.
    const rows = await readSteps(tx, id);
    const states = new Map<string, StepState>(rows.map((r) => [r.nodeId, { status: r.status, next: r.next }]));
    const succeeded = rows.filter((r) => r.status === "SUCCEEDED").map((r) => r.nodeId);
    const planned = planSuccessors(workflow.index, states, succeeded);
    createPlannedSteps(changes, workflow, planned, now, { inLine });
    const open =
      rows.filter((r) => ACTIVE_STEP_STATUSES.includes(r.status)).length +
      planned.filter((p) => p.status === "PENDING").length;
    if (open === 0) changes.executionStatus("SUCCEEDED", { finishedAt: now });
  });
  return changes;
}
