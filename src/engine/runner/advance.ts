/**
 * The tail of every transition that finishes a step: create the steps that
 * became runnable or skipped, enforce the step limit, and close the execution
 * when nothing is left to do. Runs inside the execution's locked transaction.
 */
import type { StepStatus } from "../../generated/prisma/enums.js";
import { ACTIVE_STEP_STATUSES, type ChangeSet, type Tx } from "./execution-lock.js";
import { type PlannedStep, planSuccessors, type StepState } from "./plan-successors.js";
import type { PinnedWorkflow } from "./workflow-cache.js";

export interface AdvanceOptions {
  now: Date;
  maxStepsPerExecution: number;
}

export async function advanceExecution(
  tx: Tx,
  changes: ChangeSet,
  workflow: PinnedWorkflow,
  finishedNodeIds: readonly string[],
  options: AdvanceOptions,
): Promise<void> {
  const executionId = changes.execution.id;
  // After a failure or a cancel, finished steps are recorded but nothing new starts.
  if (changes.execution.status !== "RUNNING") return;

  const rows = await tx.step.findMany({ where: { executionId }, select: { nodeId: true, status: true, next: true } });
  const states = new Map<string, StepState>(rows.map((r) => [r.nodeId, { status: r.status, next: r.next }]));
  const planned = planSuccessors(workflow.index, states, finishedNodeIds);

  if (rows.length + planned.length > options.maxStepsPerExecution) {
    await failExecution(
      tx,
      changes,
      `step limit reached: an execution may run at most ${options.maxStepsPerExecution} steps`,
      options.now,
    );
    return;
  }

  await createPlannedSteps(tx, changes, workflow, planned, options.now);
  // The rows were read inside this transaction, after the finishing step's update.
  const active =
    rows.filter((r) => ACTIVE_STEP_STATUSES.includes(r.status)).length +
    planned.filter((p) => p.status === "PENDING").length;
  if (active === 0) changes.executionStatus("SUCCEEDED", { finishedAt: options.now });
}

/** Writes planned step rows; runnable ones get a job after commit. */
export async function createPlannedSteps(
  tx: Tx,
  changes: ChangeSet,
  workflow: PinnedWorkflow,
  planned: readonly PlannedStep[],
  now: Date,
): Promise<void> {
  const executionId = changes.execution.id;
  for (const { nodeId, status } of planned) {
    const skipped = status === "SKIPPED";
    const step = await changes.createStep(tx, {
      nodeId,
      type: workflow.index.node(nodeId)?.type ?? "unknown",
      status,
      ...(skipped ? { finishedAt: now } : {}),
    });
    if (!skipped) changes.enqueue({ stepId: step.id, executionId, generation: "1" });
  }
}

/** Marks the execution FAILED and cancels every step that has not started or is waiting. */
export async function failExecution(tx: Tx, changes: ChangeSet, error: string, now: Date): Promise<void> {
  changes.executionStatus("FAILED", { error, finishedAt: now });
  await cancelOpenSteps(tx, changes, ["PENDING", "WAITING"], now);
}

export async function cancelOpenSteps(tx: Tx, changes: ChangeSet, statuses: StepStatus[], now: Date): Promise<void> {
  const open = await tx.step.findMany({
    where: { executionId: changes.execution.id, status: { in: statuses } },
    select: { id: true, nodeId: true },
  });
  if (open.length === 0) return;
  await tx.step.updateMany({
    where: { id: { in: open.map((s) => s.id) } },
    data: { status: "CANCELLED", finishedAt: now, resumeAt: null },
  });
  for (const step of open) changes.step({ ...step, status: "CANCELLED" });
}
