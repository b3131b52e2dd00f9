/**
 * A new execution's entry step, from the server's hint (EntryHint), when it
 * runs in memory: run with the steps that may follow it in memory, before
 * anything is written, then recorded with them in the one statement that
 * also takes the step and the execution from PENDING. That saves the claim's
 * statement (Lead routing: two worker statements instead of three).
 *
 * The hint breaks the rule that jobs carry ids only (ARCHITECTURE.md), on
 * purpose: it is a copy of what the claim would read, never the truth. When
 * it cannot be used (another node type, a wait, a failure, a join next, the
 * step taken meanwhile) nothing is written, the job claims the step as usual,
 * and these steps run again, which they may (runsInMemory).
 */
import { permanentWriteError } from "../../db/errors.js";
import type { EntryHint, StepJob } from "../ports.js";
import type { ClaimedStep } from "../store/advance-execution.js";
import type { StepRef } from "../store/held-step.js";
import { recordOutcome } from "../store/record-outcome.js";
import { afterCommit } from "./after-commit.js";
import { runAhead, runInMemory } from "./run-ahead.js";
import { advanceOptions, type ExecutionContext, type Runner } from "./runner-deps.js";

/** The execution's context and the successor claimed, when the entry step was recorded; undefined otherwise. */
export async function runEntry(
  runner: Runner,
  job: StepJob,
  entry: EntryHint,
): Promise<{ context: ExecutionContext; next: ClaimedStep | undefined } | undefined> {
  const { deps } = runner;
  const { clock, logger } = deps;
  if (runner.draining) return undefined;
  // A workflow deleted since (its executions with it) is the claim's to report: it finds nothing.
  const workflow = await deps.workflows.get(entry.workflowId, entry.workflowVersion).catch(() => undefined);
  if (!workflow) return undefined;
  const startedAt = clock.now();
  const context: ExecutionContext = { workflow, executionId: job.executionId, payload: entry.payload, stepsRun: 1 };
  const ran = await runInMemory(runner, context, entry.nodeId);
  if (!ran) return undefined;
  const { type, input, output, notifications, next, durationMs } = ran;
  const ahead = await runAhead(runner, context, { nodeId: entry.nodeId, output }, next);
  if (ahead.followUp.kind === "undecided") return undefined;
  const step: StepRef = { stepId: job.stepId, executionId: job.executionId, nodeId: entry.nodeId };
  // Attempt 0: a step never claimed; the statement makes it attempt 1.
  const finish = { step, attempt: 0, input, output, notifications, next };
  const route = { kind: "entry", startedAt, ahead: ahead.steps, followUp: ahead.followUp } as const;
  const options = advanceOptions(runner, context, clock.now());
  const recorded = await recordOutcome(deps.sql, workflow, { kind: "succeed", finish, route }, options).catch(
    (error: unknown) => {
      // Refused for good (nothing was written): the claim runs these steps again, one record at a time,
      // and the one whose record is refused fails alone (recording.ts).
      if (permanentWriteError(error) === undefined) throw error;
      logger.warn({ ...step, err: error }, "entry step's record refused; running it through a claim");
      return undefined;
    },
  );
  if (recorded?.result.kind !== "recorded") return undefined;
  deps.onStepFinished?.(type, ran.kind, durationMs / 1000);
  logger.info({ ...step, type, attempt: 1, durationMs }, "step succeeded (entry step, run before its claim)");
  await afterCommit(deps, recorded.changes);
  return { context, next: recorded.result.next };
}
