/**
 * Running steps in memory, ahead of their record. A step whose handler
 * runsInMemory (start, notifications, a wait already over, branches, end) and
 * that is the only step its predecessor's completion starts is run right
 * away, and recorded with that predecessor in one statement instead of one
 * each. Nothing here is written: if the record does not happen, these steps
 * simply run again, which they may.
 */
import { type FollowUp, type PlannedStep, planFollowUp } from "../plan-successors.js";
import type { RanAhead } from "../store/change-set.js";
import { type KnownOutputs, prepareStep, runsInMemory } from "./prepare-step.js";
import { runHandler } from "./run-handler.js";
import { type ExecutionContext, mayRunMore, type Runner } from "./runner-deps.js";
import { limitStored } from "./step-context.js";

/** Steps run in memory after a finished one, and what follows the last of them (or the finished step). */
export interface Ahead {
  steps: RanAhead[];
  followUp: FollowUp;
}

/**
 * Runs, in memory, the steps that follow a finished one while each is the
 * only step its predecessor's completion starts, is planned independently of
 * the rest of the execution (planFollowUp), and runsInMemory. Stops before a
 * step that reaches outside (an HTTP call), waits, fails, or would need the
 * locked transaction; that step runs on its own, as usual.
 */
export async function runAhead(
  runner: Runner,
  context: ExecutionContext,
  finished: { nodeId: string; output: unknown },
  next: readonly string[],
): Promise<Ahead> {
  const { deps } = runner;
  const { index } = context.workflow;
  const { maxStepsPerExecution } = deps.limits;
  const steps: RanAhead[] = [];
  const outputs: KnownOutputs = { [finished.nodeId]: { output: finished.output } };
  let followUp = planFollowUp(index, finished.nodeId, next, maxStepsPerExecution);
  while (followUp.kind === "successors" && mayRunMore(runner, context)) {
    const runnable = followUp.steps.filter((p) => p.status === "PENDING");
    if (runnable.length !== 1) break;
    const nodeId = (runnable[0] as PlannedStep).nodeId;
    const ran = await runInMemory(runner, context, nodeId, outputs);
    if (!ran) break;
    const after = planFollowUp(index, nodeId, ran.next, maxStepsPerExecution);
    // The record must be able to decide what follows the last step ahead in the same statement.
    if (after.kind === "undecided") break;
    const { type, output, notifications } = ran;
    const createdWith = followUp.steps;
    steps.push({ nodeId, type, ran: { input: ran.input, output, next: ran.next }, notifications, createdWith });
    deps.logger.info(
      { executionId: context.executionId, nodeId, type },
      "step ran in memory after the step before it, to be recorded with it",
    );
    // Counted once kept in the run; a step that stops the run runs (and counts) on its own later.
    deps.onStepFinished?.(type, ran.kind, ran.durationMs / 1000);
    outputs[nodeId] = { output };
    context.stepsRun += 1;
    followUp = after;
  }
  return { steps, followUp };
}

/**
 * Runs a step whose handler runsInMemory, in memory (its first try), with
 * earlier outputs `known` besides the recorded ones. Undefined when it
 * cannot run so (another type, invalid input) or did not finish (a failure,
 * a wait not over): it then runs on its own, as usual.
 */
export async function runInMemory(runner: Runner, context: ExecutionContext, nodeId: string, known: KnownOutputs = {}) {
  const { deps } = runner;
  const { workflow } = context;
  // Known before templating: a step that cannot run here is prepared once, when it runs on its own.
  if (!runsInMemory(deps.registry, context, nodeId)) return undefined;
  const prepared = await prepareStep(deps, context, nodeId, known);
  const { node, handler, input } = prepared;
  if (!node || !handler?.runsInMemory || !input.ok) return undefined;
  const run = { handler, node, data: input.data, attempt: 1, inMemory: true };
  const { outcome, notifications, durationMs } = await runHandler(deps, workflow, prepared, run);
  if (!(outcome.kind === "done" || (outcome.kind === "wait" && outcome.until <= deps.clock.now()))) {
    return undefined;
  }
  return {
    type: node.type,
    kind: outcome.kind,
    input: input.input,
    output: limitStored(outcome.output, deps.limits.maxOutputBytes),
    next: (outcome.kind === "done" ? outcome.next : undefined) ?? workflow.index.outgoing(nodeId),
    notifications,
    durationMs,
  };
}
