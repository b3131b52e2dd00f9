/**
 * Runs one step job: claims the step (reading it in the same statement),
 * executes its handler outside any transaction, and records the outcome in one
 * statement or transaction, together with the steps that may run in memory
 * right after it (runAhead). Then runs the successor that record claimed, and
 * so on. Handlers run at least once; a step that already finished is never run
 * again. Safe to call any number of times for the same job.
 */
import { permanentWriteError } from "../../db/errors.js";
import type { SqlDb } from "../../db/sql.js";
import { NonRetryableStepError } from "../../errors.js";
import { Prisma } from "../../generated/prisma/client.js";
import type { GraphNode } from "../graph.js";
import type { HandlerRegistry } from "../handlers/index.js";
import type { HandlerServices, NodeHandler, RetryPolicy, StepOutcome } from "../handlers/types.js";
import type { ChangePublisher, Clock, EngineLogger, EntryHint, JobResult, StepJob, StepQueue } from "../ports.js";
import type { ClaimedStep } from "./advance.js";
import { afterCommit } from "./after-commit.js";
import type { RunningCancellations } from "./cancellations.js";
import type { ChangeSet, PendingNotification } from "./execution-lock.js";
import { handlerServices } from "./handler-services.js";
import { LocalWakeups } from "./local-wakeups.js";
import type { PlannedStep } from "./plan-successors.js";
import { claimJob, completeInOneStatement, planAfter, type RanAhead } from "./single-statement.js";
import { limitStored, type PreparedInput, prepareInput } from "./step-context.js";
import {
  type Ahead,
  completeStep,
  type Finish,
  failStep,
  finishWait,
  retryStepLater,
  type StepRef,
  waitStep,
} from "./transitions.js";
import { failUnstorable } from "./unstorable.js";
import type { PinnedWorkflow, WorkflowCache } from "./workflow-cache.js";

export interface RunnerLimits {
  leaseMs: number;
  maxStepsPerExecution: number;
  maxOutputBytes: number;
  /** Largest rendered value of one templated field (MAX_TEMPLATE_OUTPUT_BYTES). */
  maxTemplateBytes: number;
  /** Most waits ended by local timers at once (the worker's concurrency). */
  localWakeupsMax?: number;
}

export interface StepRunnerDeps {
  sql: SqlDb;
  registry: HandlerRegistry;
  workflows: WorkflowCache;
  queue: StepQueue;
  publisher: ChangePublisher;
  http: HandlerServices["http"];
  clock: Clock;
  logger: EngineLogger;
  limits: RunnerLimits;
  /** Called when a handler returns, with how long it took (metrics). */
  onStepFinished?: (type: string, outcome: StepOutcome["kind"], seconds: number) => void;
  /** Aborts the running steps of a cancelled execution; without it, nothing aborts them. */
  cancellations?: RunningCancellations;
}

/** Runs lost with a dead worker beyond the retry policy before the step is failed. */
const MAX_LOST_RUNS = 3;
const NO_RETRY = { attempts: 1, backoffMs: 0 };
/**
 * Steps one job may run back to back (each successor claimed in the
 * transaction that finished its predecessor) before handing the rest of the
 * execution back to the queue, so one long workflow cannot hold a slot forever.
 */
const MAX_STEPS_PER_JOB = 100;
/** Waits ending within this time are also ended by a timer in the worker that parked them (see LocalWakeups). */
const LOCAL_WAKEUP_HORIZON_MS = 60_000;

type PreparedStep = Awaited<ReturnType<StepRunner["prepare"]>>;

/** What every step of one execution shares while a job runs them. */
interface ExecutionContext {
  workflow: PinnedWorkflow;
  executionId: string;
  payload: unknown;
  /** Steps this job ran so far, in memory ahead included: past the cap, successors go back to the queue. */
  stepsRun: number;
}

export class StepRunner {
  /** Set when the worker shuts down: finish the current step, but start no successor in this job. */
  private draining = false;
  private readonly wakeups: LocalWakeups;

  constructor(private readonly deps: StepRunnerDeps) {
    this.wakeups = new LocalWakeups(this.process, {
      horizonMs: LOCAL_WAKEUP_HORIZON_MS,
      maxRunning: deps.limits.localWakeupsMax ?? 16,
    });
  }

  /**
   * Stops running successors inline and ending waits from local timers; that
   * work goes through the queue (and so to whichever worker is left).
   */
  drain(): void {
    this.draining = true;
    this.wakeups.stop();
  }

  /**
   * Claims the job's step first: the claim's statement also returns the step
   * and its execution, so a runnable step costs one round trip before its
   * handler runs. When the claim does not take, the step's state says why.
   */
  readonly process = async (job: StepJob): Promise<JobResult | undefined> => {
    if (job.entry && (await this.runEntry(job, job.entry))) return undefined;
    const { sql, clock, limits } = this.deps;
    const now = clock.now();
    const taken = await claimJob(sql, job, { now, leaseMs: limits.leaseMs });
    if (!taken) return undefined;
    await this.afterCommit(taken.changes);
    const { step, execution, claim } = taken;
    const ref: StepRef = { stepId: job.stepId, executionId: job.executionId, nodeId: step.nodeId };
    const context = async (): Promise<ExecutionContext> => ({
      workflow: await this.deps.workflows.get(execution.workflowId, execution.workflowVersion),
      executionId: job.executionId,
      payload: execution.payload,
      stepsRun: 0,
    });
    if (claim) {
      const started = await context();
      const prepared = await this.prepare(started, ref.nodeId);
      const claimed = await this.runClaimed(started, ref, claim, prepared);
      return this.continueWith(started, claimed);
    }
    switch (step.status) {
      case "WAITING": {
        if (step.resumeAt && step.resumeAt > now) return { rescheduleAt: step.resumeAt };
        const waited = await context();
        waited.stepsRun = 1; // ending the wait is this job's first step
        const claimed = await this.commit(finishWait(sql, waited.workflow, ref, this.advanceOptions(now, 0)));
        return this.continueWith(waited, claimed);
      }
      case "RUNNING":
        // Held by a live worker, or by one that died: look again when the lease ends.
        if (step.leaseUntil && step.leaseUntil > now) return { rescheduleAt: step.leaseUntil };
        return undefined; // taken over by another worker a moment ago
      case "PENDING":
        // Waiting out a retry's backoff; otherwise claimed by another worker a moment ago.
        if (step.resumeAt && step.resumeAt > now) return { rescheduleAt: step.resumeAt };
        return undefined;
      case "SUCCEEDED":
      case "FAILED":
      case "SKIPPED":
      case "CANCELLED":
        return undefined;
    }
  };

  /**
   * A new execution's entry step, from the server's hint (EntryHint), when it
   * runs in memory: run with the steps that may follow it in memory, before
   * anything is written, then recorded with them in the one statement that
   * also takes the step and the execution from PENDING. That saves the claim's
   * statement (Lead routing: two worker statements instead of three). False, with
   * nothing written, when this cannot be done (another node type, a wait, a
   * failure, a join next, the step taken meanwhile): the job then claims the
   * step as usual and these steps run again, which they may (runsInMemory).
   */
  private async runEntry(job: StepJob, entry: EntryHint): Promise<boolean> {
    const { clock, logger } = this.deps;
    if (this.draining) return false;
    // A workflow deleted since (its executions with it) is the claim's to report: it finds nothing.
    const workflow = await this.deps.workflows.get(entry.workflowId, entry.workflowVersion).catch(() => undefined);
    if (!workflow) return false;
    const startedAt = clock.now();
    const context: ExecutionContext = { workflow, executionId: job.executionId, payload: entry.payload, stepsRun: 1 };
    const ran = await this.runInMemory(context, entry.nodeId);
    if (!ran) return false;
    const { type, input, output, notifications, next, durationMs } = ran;
    const ahead = await this.runAhead(context, { nodeId: entry.nodeId, output }, next);
    if (ahead.after === null) return false;
    const step: StepRef = { stepId: job.stepId, executionId: job.executionId, nodeId: entry.nodeId };
    // Attempt 0: a step never claimed; the statement makes it attempt 1.
    const finish = { step, attempt: 0, input, output, notifications, next };
    const options = this.advanceOptions(clock.now(), context.stepsRun);
    const recorded = await completeInOneStatement(this.deps.sql, workflow, finish, ahead.steps, ahead.after, options, {
      startedAt,
    }).catch((error: unknown) => {
      // Refused for good (nothing was written): the claim runs these steps again, one record at a time,
      // and the one whose record is refused fails alone (commitRecord).
      if (permanentWriteError(error) === undefined) throw error;
      logger.warn({ ...step, err: error }, "entry step's record refused; running it through a claim");
      return undefined;
    });
    if (!recorded) return false;
    this.deps.onStepFinished?.(type, ran.kind, durationMs / 1000);
    logger.info({ ...step, type, attempt: 1, durationMs }, "step succeeded (entry step, run before its claim)");
    await this.afterCommit(recorded.changes);
    await this.continueWith(context, recorded.result);
    return true;
  }

  /** `stepsRun` counts the steps this job ran so far (ExecutionContext.stepsRun). */
  private advanceOptions(now: Date, stepsRun: number) {
    const inline = !this.draining && stepsRun < MAX_STEPS_PER_JOB;
    return {
      now,
      maxStepsPerExecution: this.deps.limits.maxStepsPerExecution,
      ...(inline ? { claimNextForMs: this.deps.limits.leaseMs } : {}),
    };
  }

  /** Runs the successors claimed for this job, one after another, while each finish claims the next. */
  private async continueWith(context: ExecutionContext, claimed: ClaimedStep | undefined) {
    let next = claimed;
    while (next) {
      const ref: StepRef = { stepId: next.stepId, executionId: context.executionId, nodeId: next.nodeId };
      const prepared = await this.prepare(context, next.nodeId);
      next = await this.runClaimed(context, ref, { attempt: next.attempt, lostRuns: 0 }, prepared);
    }
    return undefined;
  }

  /** Executes a step this worker holds and records the outcome; returns the successor it claimed, if any. */
  private async runClaimed(
    context: ExecutionContext,
    ref: StepRef,
    claim: { attempt: number; lostRuns: number },
    prepared: PreparedStep,
  ): Promise<ClaimedStep | undefined> {
    const { sql, clock, limits } = this.deps;
    context.stepsRun += 1;
    const { attempt, lostRuns } = claim;
    const { workflow } = context;
    const { node, handler, input, policy } = prepared;
    const finish = { step: ref, attempt, input: input.input };
    if (!input.ok || !handler || !node) {
      const error = input.ok ? "node not found" : input.error;
      this.deps.logger.warn({ ...ref, attempt, error }, "step input invalid");
      const failed = { ...finish, output: undefined };
      await this.commitRecord(failed, [() => failStep(sql, { ...failed, error }, clock.now())], false);
      return undefined;
    }
    if (lostRuns > MAX_LOST_RUNS) {
      const error = `the step was interrupted ${lostRuns} times (its worker was lost)`;
      const failed = { ...finish, output: undefined };
      await this.commitRecord(failed, [() => failStep(sql, { ...failed, error }, clock.now())], false);
      return undefined;
    }

    // The handler sees real tries: a run lost with its worker never reached it.
    const { outcome, notifications, durationMs } = await this.runHandler(workflow, prepared, {
      handler,
      node,
      data: input.data,
      attempt: attempt - lostRuns,
    });
    this.deps.onStepFinished?.(node.type, outcome.kind, durationMs / 1000);
    return this.record(
      outcome,
      { ...finish, output: limitStored(outcome.output, limits.maxOutputBytes), notifications },
      context,
      policy,
      { ...ref, type: node.type, attempt, lostRuns, durationMs },
    );
  }

  /**
   * Runs, in memory, the steps that follow a finished one while each is the
   * only step its predecessor's completion starts, is planned independently of
   * the rest of the execution, and runsInMemory (start, notifications, a wait
   * already over, branches, end): they are then recorded with the finished
   * step in one statement instead of one each. Stops before a step that
   * reaches outside (an HTTP call), waits, fails, or would need the locked
   * transaction; that step runs on its own, as usual. Nothing here is written:
   * if the record does not happen, these steps simply run again.
   */
  private async runAhead(
    context: ExecutionContext,
    finished: { nodeId: string; output: unknown },
    next: readonly string[],
  ): Promise<Ahead> {
    const { workflow } = context;
    const { maxStepsPerExecution } = this.deps.limits;
    const steps: RanAhead[] = [];
    const outputs: Record<string, { output: unknown }> = { [finished.nodeId]: { output: finished.output } };
    let plan = planAfter(workflow, finished.nodeId, next, maxStepsPerExecution);
    while (plan && !this.draining && context.stepsRun < MAX_STEPS_PER_JOB) {
      const runnable = plan.filter((p) => p.status === "PENDING");
      if (runnable.length !== 1) break;
      const nodeId = (runnable[0] as PlannedStep).nodeId;
      const ran = await this.runInMemory(context, nodeId, outputs);
      if (!ran) break;
      const after = planAfter(workflow, nodeId, ran.next, maxStepsPerExecution);
      // The record must be able to decide what follows the last step ahead in the same statement.
      if (after === null) break;
      const { type, output, notifications } = ran;
      steps.push({ nodeId, type, ran: { input: ran.input, output, next: ran.next }, notifications, createdWith: plan });
      this.deps.logger.info(
        { executionId: context.executionId, nodeId, type },
        "step ran in memory after the step before it, to be recorded with it",
      );
      // Counted once kept in the run; a step that stops the run runs (and counts) on its own later.
      this.deps.onStepFinished?.(type, ran.kind, ran.durationMs / 1000);
      outputs[nodeId] = { output };
      context.stepsRun += 1;
      plan = after; // undefined after the last step: the execution may end with this record
    }
    return { steps, after: plan };
  }

  /**
   * Runs a step whose handler runsInMemory, in memory (its first try), with
   * earlier outputs `known` besides the recorded ones. Undefined when it
   * cannot run so (another type, invalid input) or did not finish (a failure,
   * a wait not over): it then runs on its own, as usual.
   */
  private async runInMemory(
    context: ExecutionContext,
    nodeId: string,
    known: Record<string, { output: unknown }> = {},
  ) {
    const { workflow } = context;
    // Known before templating: a step that cannot run here is prepared once, when it runs on its own.
    const type = workflow.index.node(nodeId)?.type;
    if (!type || !this.deps.registry.get(type)?.runsInMemory) return undefined;
    const prepared = await this.prepare(context, nodeId, known);
    const { node, handler, input } = prepared;
    if (!node || !handler?.runsInMemory || !input.ok) return undefined;
    const { outcome, notifications, durationMs } = await this.runHandler(workflow, prepared, {
      handler,
      node,
      data: input.data,
      attempt: 1,
    });
    if (!(outcome.kind === "done" || (outcome.kind === "wait" && outcome.until <= this.deps.clock.now()))) {
      return undefined;
    }
    return {
      type: node.type,
      kind: outcome.kind,
      input: input.input,
      output: limitStored(outcome.output, this.deps.limits.maxOutputBytes),
      next: (outcome.kind === "done" ? outcome.next : undefined) ?? workflow.index.outgoing(nodeId),
      notifications,
      durationMs,
    };
  }

  /**
   * Everything a run needs before the claim: the node, its handler, its
   * templated input, earlier outputs (`known`: outputs not recorded yet, of
   * steps run ahead in memory).
   */
  private async prepare(context: ExecutionContext, nodeId: string, known: Record<string, { output: unknown }> = {}) {
    const { workflow, executionId, payload } = context;
    const node = workflow.index.node(nodeId);
    const handler = node ? this.deps.registry.get(node.type) : undefined;
    // Earlier outputs matter only to a node whose data mentions them ({{steps.…}}, $steps).
    const needsOutputs = handler?.readsStepOutputs === true || JSON.stringify(node?.data ?? {}).includes("steps");
    const outputs = needsOutputs
      ? await this.deps.sql.query<{ nodeId: string; output: unknown }>(Prisma.sql`
          SELECT "nodeId", output FROM "Step" WHERE "executionId" = ${executionId} AND status = 'SUCCEEDED'`)
      : [];
    const steps = { ...Object.fromEntries(outputs.map((s) => [s.nodeId, { output: s.output }])), ...known };
    const execution = { id: executionId, workflowId: workflow.workflowId, workflowName: workflow.name, payload };
    const input: PreparedInput =
      node && handler
        ? prepareInput(
            node,
            handler,
            {
              payload: execution.payload,
              steps,
              execution: { id: execution.id },
              workflow: { id: workflow.workflowId, name: workflow.name },
            },
            { maxTemplateBytes: this.deps.limits.maxTemplateBytes, maxStoredBytes: this.deps.limits.maxOutputBytes },
          )
        : {
            ok: false,
            input: node?.data ?? null,
            error: `node type "${node?.type ?? nodeId}" is not registered on this worker`,
          };
    const policy = input.ok && handler?.retryPolicy ? handler.retryPolicy(input.data) : NO_RETRY;
    return { node, handler, steps, execution, input, policy };
  }

  /** Records what the handler returned, in one transaction (exhaustive over the outcome kinds). */
  private async record(
    reported: StepOutcome,
    finish: Finish,
    context: ExecutionContext,
    policy: RetryPolicy,
    log: Record<string, unknown> & { attempt: number; lostRuns: number },
  ): Promise<ClaimedStep | undefined> {
    const { sql, clock, logger } = this.deps;
    const { workflow } = context;
    const now = clock.now();
    // A wait that is already over (a delay of 0) needs no parking and no job: the step is simply done.
    const outcome: StepOutcome =
      reported.kind === "wait" && reported.until <= now ? { kind: "done", output: reported.output } : reported;
    switch (outcome.kind) {
      case "done": {
        const next = outcome.next ?? workflow.index.outgoing(finish.step.nodeId);
        logger.info(log, "step succeeded");
        const ahead = await this.runAhead(context, { nodeId: finish.step.nodeId, output: finish.output }, next);
        // Steps recorded together share the instant they are recorded.
        const at = ahead.steps.length > 0 ? clock.now() : now;
        const options = this.advanceOptions(at, context.stepsRun);
        const complete = (withAhead?: Ahead) => () =>
          completeStep(sql, workflow, { ...finish, next }, options, withAhead);
        // A record refused for good may be a step's ahead's: recorded alone, they run again on their own.
        const tries = ahead.steps.length > 0 ? [complete(ahead), complete()] : [complete(ahead)];
        return this.commitRecord(finish, tries, undefined);
      }
      case "wait":
        logger.info({ ...log, until: outcome.until.toISOString() }, "step waiting");
        if (await this.commitRecord(finish, [() => waitStep(sql, { ...finish, until: outcome.until })], false)) {
          const { stepId, executionId } = finish.step;
          this.wakeups.schedule({ stepId, executionId, generation: "w" }, outcome.until);
        }
        return undefined;
      case "fail": {
        // Runs lost with a dead worker never reached an outcome: only real tries count against the policy.
        const tries = log.attempt - log.lostRuns;
        if (outcome.retryable && tries < policy.attempts) {
          const retryAt = new Date(now.getTime() + policy.backoffMs * 2 ** (tries - 1));
          logger.warn({ ...log, error: outcome.error, retryAt: retryAt.toISOString() }, "step failed, will retry");
          await this.commitRecord(
            finish,
            [() => retryStepLater(sql, { ...finish, error: outcome.error, retryAt })],
            false,
          );
          return undefined;
        } else {
          logger.warn({ ...log, error: outcome.error }, "step failed");
          await this.commitRecord(finish, [() => failStep(sql, { ...finish, error: outcome.error }, now)], false);
        }
        return undefined;
      }
    }
  }

  /** Runs a prepared step's handler, outside any transaction: its outcome, what it sent, how long it took. */
  private async runHandler(
    workflow: PinnedWorkflow,
    prepared: PreparedStep,
    run: { handler: NodeHandler; node: GraphNode; data: unknown; attempt: number },
  ) {
    const notifications: PendingNotification[] = [];
    const started = Date.now();
    // Only a handler that waits on the outside world has anything to abort.
    const watch = run.handler.runsInMemory ? undefined : this.deps.cancellations?.watch(prepared.execution.id);
    const outcome = await this.execute(run.handler, {
      data: run.data,
      node: run.node,
      execution: prepared.execution,
      steps: prepared.steps,
      attempt: run.attempt,
      maxAttempts: prepared.policy.attempts,
      edgeTargets: workflow.index.edgeTargets(run.node.id),
      services: handlerServices(this.deps, notifications),
      ...(watch ? { signal: watch.signal } : {}),
    }).finally(() => watch?.release());
    return { outcome, notifications, durationMs: Date.now() - started };
  }

  /** Handler errors become step failures; only NonRetryableStepError skips the retries. */
  private async execute(handler: NodeHandler, input: Parameters<NodeHandler["execute"]>[0]): Promise<StepOutcome> {
    try {
      return await handler.execute(input);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // Cancelled meanwhile: the step is CANCELLED already, and this outcome's record changes nothing.
      if (input.signal?.aborted) return { kind: "fail", error: message, retryable: false };
      return { kind: "fail", error: message, retryable: !(error instanceof NonRetryableStepError) };
    }
  }

  /**
   * commit() for the transitions that record a step's outcome, tried in order
   * while the database refuses one for good (permanentWriteError: the same rows
   * would be refused on every retry of the job). If every one is refused, the
   * step fails, not retried, naming what could not be stored and why
   * (failUnstorable), and `refused` is returned. Any other error is thrown: the
   * job is retried, as for a database that is briefly away.
   */
  private async commitRecord<T>(
    finish: Finish,
    tries: readonly (() => Promise<{ result: T; changes: ChangeSet }>)[],
    refused: T,
  ): Promise<T> {
    let error: unknown;
    for (const transition of tries) {
      let done: { result: T; changes: ChangeSet };
      try {
        done = await transition();
      } catch (thrown) {
        if (permanentWriteError(thrown) === undefined) throw thrown;
        error = thrown;
        continue;
      }
      await this.afterCommit(done.changes);
      return done.result;
    }
    this.deps.logger.warn({ ...finish.step, attempt: finish.attempt, err: error }, "step's record refused; failing it");
    await this.commit(failUnstorable(this.deps.sql, finish, error, this.deps.clock.now()));
    return refused;
  }

  /** Awaits a transition, enqueues and publishes what it changed, and returns its result. */
  private async commit<T>(transition: Promise<{ result: T; changes: ChangeSet }>): Promise<T> {
    const { result, changes } = await transition;
    await this.afterCommit(changes);
    return result;
  }

  private afterCommit(changes: ChangeSet): Promise<void> {
    return afterCommit(this.deps, [changes]);
  }
}
