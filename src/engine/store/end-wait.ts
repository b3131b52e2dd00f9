/** The end of a wait: WAITING whose time has come → SUCCEEDED, then on to the successors. */
import type { SqlDb } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";
import type { PinnedWorkflow } from "../workflow-cache.js";
import { type AdvanceOptions, advanceExecution, type ClaimedStep, readSteps } from "./advance-execution.js";
import type { ChangeSet } from "./change-set.js";
import { inExecutionTransaction } from "./execution-lock.js";
import type { StepRef } from "./held-step.js";

/** Fires once: the update is conditional on the step still WAITING and its time come. */
export function endWait(
  db: SqlDb,
  workflow: PinnedWorkflow,
  step: StepRef,
  options: AdvanceOptions,
): Promise<{ result: ClaimedStep | undefined; changes: ChangeSet }> {
  return inExecutionTransaction(db, step.executionId, async (tx, changes) => {
    if (changes.execution.status !== "RUNNING") return undefined;
    const next = workflow.index.outgoing(step.nodeId);
    const count = await tx.execute(Prisma.sql`
      UPDATE "Step" SET status = 'SUCCEEDED', next = ${[...next]}::text[], "finishedAt" = ${options.now}
      WHERE id = ${step.stepId} AND status = 'WAITING' AND "resumeAt" <= ${options.now}`);
    if (count === 0) return undefined;
    changes.step({ id: step.stepId, nodeId: step.nodeId, status: "SUCCEEDED" });
    const rows = await readSteps(tx, step.executionId);
    return advanceExecution(tx, changes, workflow, [step.nodeId], rows, { ...options, waking: true });
  });
}
