/**
 * The runner's side of child executions (call_workflow, for_each): which version children run,
 * and waking a parent step when one of its children ended (the job a child's end enqueues,
 * runner/after-commit.ts, or the reconciler's when that wake was lost).
 */
import { planExecution } from "../executions.js";
import type { ClaimedStep } from "../store/advance-execution.js";
import type { ChildStarter } from "../store/children-wait.js";
import { readBatchTarget, settleChildren } from "../store/children-wait.js";
import type { StepRef } from "../store/held-step.js";
import { currentWorkflowVersion } from "../store/workflow-version.js";
import { afterCommit } from "./after-commit.js";
import { advanceOptions, type ExecutionContext, type Runner, type StepRunnerDeps } from "./runner-deps.js";

/** How deep calls nest unless MAX_CALL_DEPTH says otherwise. */
export const DEFAULT_MAX_CALL_DEPTH = 10;

/** Children of a workflow's current version (undefined if it does not exist or was deleted). */
export async function currentStarter(deps: StepRunnerDeps, workflowId: string): Promise<ChildStarter | undefined> {
  const version = await currentWorkflowVersion(deps.sql, workflowId);
  if (version === undefined) return undefined;
  return pinnedStarter(deps, workflowId, version);
}

async function pinnedStarter(deps: StepRunnerDeps, workflowId: string, version: number): Promise<ChildStarter> {
  const workflow = await deps.workflows.get(workflowId, version);
  return { workflow, plan: (payload) => planExecution(workflow, payload) };
}

/**
 * A child of the step ended: the parent counts its children, starts more or ends the wait
 * (store/children-wait.ts). The version children run is loaded before the transaction opens.
 * Returns the successor claimed for this job, if the wait ended.
 */
export async function wakeForChildren(
  runner: Runner,
  context: ExecutionContext,
  step: StepRef,
): Promise<ClaimedStep | undefined> {
  const { deps } = runner;
  const target = await readBatchTarget(deps.sql, step.stepId);
  if (!target) return undefined; // the wait is over already
  const starter = await pinnedStarter(deps, target.workflowId, target.workflowVersion);
  const now = deps.clock.now();
  const options = { ...advanceOptions(runner, context, now), maxCallDepth: maxCallDepth(deps) };
  const settled = await settleChildren(deps.sql, context.workflow, step, starter, options);
  await afterCommit(deps, [settled.changes]);
  return settled.result;
}

export function maxCallDepth(deps: StepRunnerDeps): number {
  return deps.limits.maxCallDepth ?? DEFAULT_MAX_CALL_DEPTH;
}
