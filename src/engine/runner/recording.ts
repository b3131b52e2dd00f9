/**
 * From a handler's outcome to its record: decides the RecordPlan (a wait
 * already over is a success; a retryable failure with tries left waits out
 * its backoff), runs the steps that may be recorded with a success ahead in
 * memory, and writes the plan through the store's one door (recordOutcome).
 * A record the database refuses for good fails the step instead of retrying
 * the job forever.
 */
import { permanentWriteError } from "../../db/errors.js";
import { currentStarter } from "../executions.js";
import type { RetryPolicy, StepOutcome } from "../handlers/types.js";
import { type FollowUp, planFollowUp } from "../plan-successors.js";
import type { ClaimedStep } from "../store/advance-execution.js";
import { failUnstorable } from "../store/fail-unstorable.js";
import type { Finish, Succeeded } from "../store/held-step.js";
import { type Recorded, type RecordPlan, recordOutcome } from "../store/record-outcome.js";
import { afterCommit } from "./after-commit.js";
import { maxCallDepth } from "./children.js";
import type { LocalWakeups } from "./local-wakeups.js";
import { type Ahead, runAhead } from "./run-ahead.js";
import { advanceOptions, type ExecutionContext, type Runner } from "./runner-deps.js";

/** What the logs say about the run being recorded. */
export type RunLog = Record<string, unknown> & { attempt: number; lostRuns: number };

/** Records what the handler returned; returns the successor claimed for this job, if any. */
export async function recordRun(
  runner: Runner & { readonly wakeups: LocalWakeups },
  context: ExecutionContext,
  reported: StepOutcome,
  finish: Finish,
  policy: RetryPolicy,
  log: RunLog,
): Promise<ClaimedStep | undefined> {
  const { clock, logger } = runner.deps;
  const maxSteps = runner.deps.limits.maxStepsPerExecution;
  const now = clock.now();
  // A wait that is already over (a delay of 0) needs no parking and no job: the step is simply done.
  const outcome: StepOutcome =
    reported.kind === "wait" && reported.until <= now ? { kind: "done", output: reported.output } : reported;
  switch (outcome.kind) {
    case "done": {
      const next = outcome.next ?? context.workflow.index.outgoing(finish.step.nodeId);
      logger.info(log, "step succeeded");
      const ahead = await runAhead(runner, context, { nodeId: finish.step.nodeId, output: finish.output }, next);
      const plans = successPlans(context, { ...finish, next }, ahead, maxSteps);
      // Steps recorded together share the instant they are recorded.
      const at = ahead.steps.length > 0 ? clock.now() : now;
      const recorded = await commitRecord(runner, context, plans, at);
      return recorded?.kind === "recorded" ? recorded.next : undefined;
    }
    case "wait": {
      logger.info({ ...log, until: outcome.until.toISOString() }, "step waiting");
      const recorded = await commitRecord(runner, context, [{ kind: "wait", finish, until: outcome.until }], now);
      if (recorded?.kind === "recorded") {
        const { stepId, executionId } = finish.step;
        runner.wakeups.schedule({ stepId, executionId, generation: "w" }, outcome.until);
      }
      return undefined;
    }
    case "awaitEvent": {
      logger.info({ ...log, until: outcome.wait.until?.toISOString() ?? null }, "step waiting for an event");
      const recorded = await commitRecord(runner, context, [{ kind: "await-event", finish, wait: outcome.wait }], now);
      if (recorded?.kind !== "recorded") return undefined;
      const { stepId, executionId } = finish.step;
      if (outcome.wait.until) runner.wakeups.schedule({ stepId, executionId, generation: "w" }, outcome.wait.until);
      return recorded.next;
    }
    case "startChildren": {
      const { workflowId } = outcome.children;
      const starter = await currentStarter(runner.deps, workflowId);
      if (!starter) {
        const error = `workflow ${workflowId} not found (or deleted)`;
        logger.warn({ ...log, error }, "step failed");
        await commitRecord(runner, context, [{ kind: "fail", finish, error }], now);
        return undefined;
      }
      logger.info({ ...log, workflowId, mode: outcome.children.mode }, "step starting child executions");
      const plan: RecordPlan = {
        kind: "start-children",
        finish,
        request: outcome.children,
        starter,
        maxCallDepth: maxCallDepth(runner.deps),
      };
      const recorded = await commitRecord(runner, context, [plan], now);
      return recorded?.kind === "recorded" ? recorded.next : undefined;
    }
    case "fail": {
      // Runs lost with a dead worker never reached an outcome: only real tries count against the policy.
      const tries = log.attempt - log.lostRuns;
      const { error } = outcome;
      if (outcome.retryable && tries < policy.attempts) {
        const retryAt = new Date(now.getTime() + policy.backoffMs * 2 ** (tries - 1));
        logger.warn({ ...log, error, retryAt: retryAt.toISOString() }, "step failed, will retry");
        await commitRecord(runner, context, [{ kind: "retry", finish, error, retryAt }], now);
      } else {
        logger.warn({ ...log, error }, "step failed");
        await commitRecord(runner, context, [{ kind: "fail", finish, error }], now);
      }
      return undefined;
    }
  }
}

/**
 * How to write a success, in the order to try while the database refuses a
 * record for good: with the steps run ahead (if any), then alone (they run
 * again on their own: one of them may be what was refused).
 */
function successPlans(context: ExecutionContext, succeeded: Succeeded, ahead: Ahead, maxSteps: number): RecordPlan[] {
  const alone = (followUp: FollowUp): RecordPlan => ({
    kind: "succeed",
    finish: succeeded,
    route: { kind: "alone", followUp },
  });
  const { followUp } = ahead;
  if (ahead.steps.length === 0 || followUp.kind === "undecided") return [alone(followUp)];
  const withAhead: RecordPlan = {
    kind: "succeed",
    finish: succeeded,
    route: { kind: "with-ahead", ahead: ahead.steps, followUp },
  };
  const { nodeId } = succeeded.step;
  return [withAhead, alone(planFollowUp(context.workflow.index, nodeId, succeeded.next, maxSteps))];
}

/** Fails a step this job holds without running it (its input is invalid, it was lost too often). */
export async function failHeld(runner: Runner, context: ExecutionContext, finish: Finish, error: string) {
  await commitRecord(runner, context, [{ kind: "fail", finish, error }], runner.deps.clock.now());
}

/**
 * Writes the first of `plans` the database accepts (they are tried in order
 * while it refuses one for good: permanentWriteError, the same rows would be
 * refused on every retry of the job), then enqueues and publishes what it
 * changed. If every one is refused, the step fails, not retried, naming what
 * could not be stored and why (failUnstorable), and undefined is returned.
 * Any other error is thrown: the job is retried, as for a database that is
 * briefly away.
 */
async function commitRecord(
  runner: Runner,
  context: ExecutionContext,
  plans: readonly RecordPlan[],
  now: Date,
): Promise<Recorded | undefined> {
  const { deps } = runner;
  const options = advanceOptions(runner, context, now);
  let error: unknown;
  for (const plan of plans) {
    let done: Awaited<ReturnType<typeof recordOutcome>>;
    try {
      done = await recordOutcome(deps.sql, context.workflow, plan, options);
    } catch (thrown) {
      if (permanentWriteError(thrown) === undefined) throw thrown;
      error = thrown;
      continue;
    }
    await afterCommit(deps, done.changes);
    return done.result;
  }
  const { finish } = plans[0] as RecordPlan;
  deps.logger.warn({ ...finish.step, attempt: finish.attempt, err: error }, "step's record refused; failing it");
  const failed = await failUnstorable(deps.sql, finish, error, deps.clock.now());
  await afterCommit(deps, [failed.changes]);
  return undefined;
}
