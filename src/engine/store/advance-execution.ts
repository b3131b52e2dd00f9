/**
 * The tail of every transition that finishes a step: create the steps that
 * became runnable or skipped, enforce the step limit, and close the execution
 * when nothing is left to do. Runs inside the execution's locked transaction.
 */

import { Prisma } from "../../generated/prisma/client.js";
import type { StepStatus } from "../../generated/prisma/enums.js";
import { holdsSlots } from "../flow-control.js";
import { type PlannedStep, planSuccessors, type StepState } from "../plan-successors.js";
import type { PinnedWorkflow } from "../workflow-cache.js";
import { cancelOpenSteps } from "./cancel-steps.js";
import { mustWaitForCapacity } from "./capacity-waits.js";
import { ACTIVE_STEP_STATUSES, type ChangeSet } from "./change-set.js";
import type { Tx } from "./execution-lock.js";

export interface AdvanceOptions {
  now: Date;
  maxStepsPerExecution: number;
  /**
   * When set, one runnable successor is created already claimed (RUNNING, attempt 1,
   * with this lease) so the caller runs it at once instead of going through the
   * queue. If the caller dies, the lease expires and the reconciler recovers it.
   */
  claimNextForMs?: number;
  /**
   * A wait ended (not a running step's finish): an execution with concurrency limits that held no
   * slot while it waited takes one back before its new steps run (capacity-waits.ts).
   */
  waking?: boolean;
}

/** A step created claimed by the caller, which should run it next. */
export interface ClaimedStep {
  stepId: string;
  nodeId: string;
  attempt: number;
}

export interface StepRow {
  nodeId: string;
  status: StepStatus;
  next: string[];
}

/** Every step of the execution as this transaction sees it (read after the caller's own update). */
export function readSteps(tx: Tx, executionId: string): Promise<StepRow[]> {
  return tx.query<StepRow>(Prisma.sql`
    SELECT "nodeId", status::text AS status, next FROM "Step" WHERE "executionId" = ${executionId}`);
}

export async function advanceExecution(
  tx: Tx,
  changes: ChangeSet,
  workflow: PinnedWorkflow,
  finishedNodeIds: readonly string[],
  rows: readonly StepRow[],
  options: AdvanceOptions,
): Promise<ClaimedStep | undefined> {
  // After a failure or a cancel, finished steps are recorded but nothing new starts.
  if (changes.execution.status !== "RUNNING") return undefined;

  const states = new Map<string, StepState>(rows.map((r) => [r.nodeId, { status: r.status, next: r.next }]));
  const planned = planSuccessors(workflow.index, states, finishedNodeIds);

  if (rows.length + planned.length > options.maxStepsPerExecution) {
    await failExecution(
      tx,
      changes,
      `step limit reached: an execution may run at most ${options.maxStepsPerExecution} steps`,
      options.now,
    );
    return undefined;
  }

  const inLine =
    options.waking === true &&
    holdsSlots(workflow.flow) &&
    planned.some((p) => p.status === "PENDING") &&
    (await mustWaitForCapacity(tx, changes.execution.id, rows));
  if (inLine) changes.admits = true;
  // A paused workflow's execution runs no further step: nothing is claimed for the caller, and the
  // new steps' jobs find it paused (claim-step.ts) until resumeWorkflow gives them new ones.
  const claimForMs = changes.execution.workflowPaused ? undefined : options.claimNextForMs;
  const claimed = createPlannedSteps(changes, workflow, planned, options.now, inLine ? { inLine } : { claimForMs });
  const active =
    rows.filter((r) => ACTIVE_STEP_STATUSES.includes(r.status)).length +
    planned.filter((p) => p.status === "PENDING").length;
  if (active === 0) changes.executionStatus("SUCCEEDED", { finishedAt: options.now });
  return claimed;
}

/**
 * Adds planned step rows to the change set; runnable ones get a job after
 * commit, except the one claimed for the caller when `claimForMs` is set, and
 * none while the execution is in line for capacity (`inLine`: admission
 * enqueues them).
 */
export function createPlannedSteps(
  changes: ChangeSet,
  workflow: PinnedWorkflow,
  planned: readonly PlannedStep[],
  now: Date,
  { claimForMs, inLine = false }: { claimForMs?: number | undefined; inLine?: boolean } = {},
): ClaimedStep | undefined {
  const executionId = changes.execution.id;
  let claimed: ClaimedStep | undefined;
  for (const { nodeId, status } of planned) {
    const type = workflow.index.node(nodeId)?.type ?? "unknown";
    if (status === "SKIPPED") {
      changes.createStep({ nodeId, type, status, finishedAt: now });
    } else if (claimForMs !== undefined && !claimed) {
      const claim = { attempt: 1, startedAt: now, leaseUntil: new Date(now.getTime() + claimForMs) };
      const step = changes.createStep({ nodeId, type, status: "RUNNING", claim });
      claimed = { stepId: step.id, nodeId, attempt: 1 };
    } else {
      const step = changes.createStep({ nodeId, type, status });
      if (!inLine) changes.enqueue({ stepId: step.id, executionId, generation: "1" });
    }
  }
  return claimed;
}

/** Marks the execution FAILED and cancels every step that has not started or is waiting. */
export async function failExecution(tx: Tx, changes: ChangeSet, error: string, now: Date): Promise<void> {
  changes.executionStatus("FAILED", { error, finishedAt: now });
  await cancelOpenSteps(tx, changes, ["PENDING", "WAITING"], now);
}
