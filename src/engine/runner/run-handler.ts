/** Running a prepared step's handler, outside any transaction. */
import { NonRetryableStepError } from "../../errors.js";
import type { GraphNode } from "../graph.js";
import type { NodeHandler, StepOutcome } from "../handlers/types.js";
import type { StepAttemptOutcome, StepAttemptSpan } from "../ports.js";
import type { PendingNotification } from "../store/change-set.js";
import type { PinnedWorkflow } from "../workflow-cache.js";
import { handlerServices } from "./handler-services.js";
import type { PreparedStep } from "./prepare-step.js";
import type { StepRunnerDeps } from "./runner-deps.js";

export interface HandlerRun {
  outcome: StepOutcome;
  /** What the handler sent, to be stored with its outcome. */
  notifications: PendingNotification[];
  durationMs: number;
}

/** Runs the handler: its outcome (a thrown error becomes a failure), what it sent, how long it took. */
export async function runHandler(
  deps: StepRunnerDeps,
  workflow: PinnedWorkflow,
  prepared: PreparedStep,
  run: { handler: NodeHandler; node: GraphNode; data: unknown; attempt: number; inMemory?: boolean; stepId?: string },
): Promise<HandlerRun> {
  const notifications: PendingNotification[] = [];
  const span = deps.tracing?.stepAttempt({
    executionId: prepared.execution.id,
    workflowId: workflow.workflowId,
    nodeId: run.node.id,
    type: run.node.type,
    attempt: run.attempt,
    inMemory: run.inMemory === true,
    ...(run.stepId === undefined ? {} : { stepId: run.stepId }),
  });
  const started = Date.now();
  // Only a handler that waits on the outside world has anything to abort.
  const watch = run.handler.runsInMemory ? undefined : deps.cancellations?.watch(prepared.execution.id);
  const outcome = await execute(run.handler, {
    data: run.data,
    node: run.node,
    execution: prepared.execution,
    steps: prepared.steps,
    attempt: run.attempt,
    maxAttempts: prepared.policy.attempts,
    edgeTargets: workflow.index.edgeTargets(run.node.id),
    services: handlerServices(deps, notifications, span?.traceparent),
    ...(watch ? { signal: watch.signal } : {}),
  }).finally(() => watch?.release());
  if (span) endSpan(span, outcome, run, prepared.policy.attempts, deps.clock.now());
  return { outcome, notifications, durationMs: Date.now() - started };
}

/** The attempt's span ends with its outcome as the handler returned it (the record decides the rest). */
function endSpan(
  span: StepAttemptSpan,
  outcome: StepOutcome,
  run: { attempt: number; inMemory?: boolean },
  maxAttempts: number,
  now: Date,
): void {
  let ended: StepAttemptOutcome;
  if (outcome.kind === "done" || (outcome.kind === "wait" && run.inMemory && outcome.until <= now)) ended = "succeeded";
  else if (run.inMemory)
    ended = "deferred"; // run-ahead.ts keeps only those two
  else if (outcome.kind !== "fail") ended = "waiting";
  else ended = outcome.retryable && run.attempt < maxAttempts ? "retry" : "failed";
  span.end(ended, outcome.kind === "fail" ? outcome.error : undefined);
}

/** Handler errors become step failures; only NonRetryableStepError skips the retries. */
async function execute(handler: NodeHandler, input: Parameters<NodeHandler["execute"]>[0]): Promise<StepOutcome> {
  try {
    return await handler.execute(input);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Cancelled meanwhile: the step is CANCELLED already, and this outcome's record changes nothing.
    if (input.signal?.aborted) return { kind: "fail", error: message, retryable: false };
    return { kind: "fail", error: message, retryable: !(error instanceof NonRetryableStepError) };
  }
}
