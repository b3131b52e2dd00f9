/**
 * The runner's side of child executions (call_workflow, for_each): which version children run,
 * and waking a parent step when one of its children ended (the job a child's end enqueues,
 * runner/after-commit.ts, or the reconciler's when that wake was lost).
 */
import { pinnedStarter } from "../executions.js";
import { CHILD_WAKE } from "../ports.js";
import type { ClaimedStep } from "../store/advance-execution.js";
import { readWaitingParent, settleChildren } from "../store/children-wait.js";
import { afterCommit } from "./after-commit.js";
import { advanceOptions, type ExecutionContext, type Runner, type StepRunnerDeps } from "./runner-deps.js";

/** How deep calls nest unless MAX_CALL_DEPTH says otherwise. */
export const DEFAULT_MAX_CALL_DEPTH = 10;

/**
 * A child of the step ended (its job: generation CHILD_WAKE): the parent counts its children,
 * starts more or ends the wait (store/children-wait.ts). What the wake needs (the parent, the
 * version children run) is one read before the transaction, not a claim. Returns the successor
 * claimed for this job and its context, if the wait ended.
 */
export async function wakeForChildren(
  runner: Runner,
  job: { stepId: string; executionId: string },
): Promise<{ context: ExecutionContext; next: ClaimedStep | undefined } | undefined> {
  const { deps } = runner;
  const parent = await readWaitingParent(deps.sql, job.stepId);
  if (!parent) return undefined; // the wait is over already
  const context: ExecutionContext = {
    workflow: await deps.workflows.get(parent.workflowId, parent.workflowVersion),
    executionId: job.executionId,
    payload: parent.payload,
    dataOverrides: parent.dataOverrides,
    stepsRun: 1, // ending the wait is this job's first step
  };
  const starter = await pinnedStarter(deps, parent.targetWorkflowId, parent.targetVersion);
  const now = deps.clock.now();
  const options = { ...advanceOptions(runner, context, now), maxCallDepth: maxCallDepth(deps) };
  const step = { stepId: job.stepId, executionId: job.executionId, nodeId: parent.nodeId };
  const settled = await settleChildren(deps.sql, context.workflow, step, starter, options);
  await afterCommit(deps, [settled.changes]);
  return { context, next: settled.result };
}

/** Whether a job wakes a step waiting for children ("c@<child id>" from a child's end, "c" from the reconciler). */
export function isChildWake(generation: string): boolean {
  return generation === CHILD_WAKE || generation.startsWith(`${CHILD_WAKE}@`);
}

export function maxCallDepth(deps: StepRunnerDeps): number {
  return deps.limits.maxCallDepth ?? DEFAULT_MAX_CALL_DEPTH;
}
