/**
 * Runs one step job: claims the step (reading it in the same statement),
 * executes its handler outside any transaction (run-handler.ts), and records
 * the outcome (recording.ts), together with the steps that may run in memory
 * right after it (run-ahead.ts). Then runs the successor that record claimed,
 * and so on. Handlers run at least once; a step that already finished is
 * never run again. Safe to call any number of times for the same job.
 */
import type { ExecutionDeps } from "../executions.js";
import { ADMIT_GENERATION_PREFIX, DEADLINE_GENERATION, type JobResult, type StepJob, scheduleJob } from "../ports.js";
import { DEFAULT_REPLAY_RATE, REPLAY_GENERATION_PREFIX, runReplayBatch } from "../replays.js";
import { isScheduleJob, runScheduleJob } from "../schedules.js";
import type { ClaimedStep } from "../store/advance-execution.js";
import { claimJob } from "../store/claim-step.js";
import { endWait } from "../store/end-wait.js";
import type { StepRef } from "../store/held-step.js";
import { timeOutExecution } from "../store/time-out-execution.js";
import { decideWaits } from "../waits.js";
import { afterCommit } from "./after-commit.js";
import { isChildWake, wakeForChildren } from "./children.js";
import { runEntry } from "./entry-step.js";
import { LocalWakeups } from "./local-wakeups.js";
import { type PreparedStep, prepareStep } from "./prepare-step.js";
import { failHeld, recordRun } from "./recording.js";
import { runHandler } from "./run-handler.js";
import { advanceOptions, type ExecutionContext, type Runner, type StepRunnerDeps } from "./runner-deps.js";
import { limitStored } from "./step-context.js";

export type { RunnerLimits, StepRunnerDeps } from "./runner-deps.js";

/** Runs lost with a dead worker beyond the retry policy before the step is failed. */
const MAX_LOST_RUNS = 3;
/** Waits ending within this time are also ended by a timer in the worker that parked them (see LocalWakeups). */
const LOCAL_WAKEUP_HORIZON_MS = 60_000;

export class StepRunner implements Runner {
  draining = false;
  readonly wakeups: LocalWakeups;
  /** Steps waiting for children being woken in this process (wakeParent). */
  private readonly childWakes = new Map<string, { again: boolean }>();

  constructor(readonly deps: StepRunnerDeps) {
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
    if (job.generation === DEADLINE_GENERATION) return this.timeOut(job.executionId);
    // A throttled line's next start (runner/admissions.ts): both ids are the workflow's.
    if (job.generation.startsWith(ADMIT_GENERATION_PREFIX)) {
      await this.deps.admissions?.admit(job.executionId);
      return undefined;
    }
    // A bulk replay's next batch (engine/replays.ts): both ids are the replay's.
    if (job.generation.startsWith(REPLAY_GENERATION_PREFIX)) {
      const rate = this.deps.limits.replayRatePerSecond ?? DEFAULT_REPLAY_RATE;
      await runReplayBatch(this.executionDeps(), job.executionId, rate);
      return undefined;
    }
    // A schedule's instant, or the end of the execution its buffered firing waited for: both ids are the schedule's.
    if (isScheduleJob(job)) return this.fireSchedule(job);
    // A child of a step waiting for children ended: no claim, the wake reads what it needs.
    if (isChildWake(job.generation)) return this.wakeParent(job);
    const entered = job.entry ? await runEntry(this, job, job.entry) : undefined;
    if (entered) return this.continueWith(entered.context, entered.next);
    const { sql, clock, limits } = this.deps;
    const now = clock.now();
    const taken = await claimJob(sql, job, { now, leaseMs: limits.leaseMs });
    if (!taken) return undefined;
    await afterCommit(this.deps, [taken.changes]);
    const { step, execution, claim } = taken;
    const ref: StepRef = { stepId: job.stepId, executionId: job.executionId, nodeId: step.nodeId };
    if (taken.paused && !claim) {
      // Its workflow is paused: the step keeps its state, without a job, until resumeWorkflow enqueues it.
      this.deps.logger.debug({ ...ref, status: step.status }, "step held: its workflow is paused");
      if (step.status !== "WAITING") return undefined;
    }
    const context = async (stepsRun: number): Promise<ExecutionContext> => ({
      workflow: await this.deps.workflows.get(execution.workflowId, execution.workflowVersion),
      executionId: job.executionId,
      payload: execution.payload,
      dataOverrides: execution.dataOverrides,
      stepsRun,
    });
    if (claim) {
      const started = await context(0);
      const prepared = await prepareStep(this.deps, started, ref.nodeId);
      return this.continueWith(started, await this.runClaimed(started, ref, claim, prepared));
    }
    switch (step.status) {
      case "WAITING": {
        if (step.resumeAt && step.resumeAt > now) return { rescheduleAt: step.resumeAt };
        const waited = await context(1); // ending the wait is this job's first step
        if (waited.workflow.index.node(step.nodeId)?.type === "wait_for_event") {
          // An event received before the timeout still wins: decided with every event so far.
          await decideWaits(this.executionDeps(), job.executionId, job.stepId);
          return undefined;
        }
        const ended = await endWait(sql, waited.workflow, ref, advanceOptions(this, waited, now));
        await afterCommit(this.deps, [ended.changes]);
        return this.continueWith(waited, ended.result);
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
   * Wakes a step waiting for children. Children ending together wake it together, and each wake
   * reads every child's state under the parent's lock: one wake at a time per step in this
   * process, and a wake asked for meanwhile runs once more after it instead of queueing on the lock.
   */
  private async wakeParent(job: StepJob): Promise<undefined> {
    const running = this.childWakes.get(job.stepId);
    if (running) {
      running.again = true;
      return undefined;
    }
    const entry = { again: false };
    this.childWakes.set(job.stepId, entry);
    let woken: Awaited<ReturnType<typeof wakeForChildren>>;
    try {
      do {
        entry.again = false;
        woken = await wakeForChildren(this, job);
      } while (entry.again && !woken?.next);
    } finally {
      this.childWakes.delete(job.stepId);
    }
    return woken ? this.continueWith(woken.context, woken.next) : undefined;
  }

  /** What the engine's operations on whole executions need, from this runner's deps. */
  private executionDeps(): ExecutionDeps {
    return { ...this.deps, limits: { MAX_STEPS_PER_EXECUTION: this.deps.limits.maxStepsPerExecution } };
  }

  /** Fires a schedule's due instants; the next one, when soon, also gets a timer here (as a short delay does). */
  private async fireSchedule(job: StepJob): Promise<JobResult | undefined> {
    const { result, timers, firings } = await runScheduleJob(this.executionDeps(), job);
    for (const f of firings) {
      const late = f.status === "MISSED" ? undefined : (f.firedAt.getTime() - f.scheduledAt.getTime()) / 1000;
      this.deps.onScheduleFired?.(f.status, late);
    }
    if (!this.draining) for (const t of timers) this.wakeups.schedule(scheduleJob(t.id, t.nextFireAt), t.nextFireAt);
    return result;
  }

  /** An execution's deadline job: it fails the execution if still live (store/time-out-execution.ts). */
  private async timeOut(executionId: string): Promise<JobResult | undefined> {
    const timedOut = await timeOutExecution(this.deps.sql, executionId, this.deps.clock.now());
    await afterCommit(this.deps, [timedOut.changes]);
    return timedOut.result.due ? { rescheduleAt: timedOut.result.due } : undefined;
  }

  /** Runs the successors claimed for this job, one after another, while each record claims the next. */
  private async continueWith(context: ExecutionContext, claimed: ClaimedStep | undefined): Promise<undefined> {
    let next = claimed;
    while (next) {
      const ref: StepRef = { stepId: next.stepId, executionId: context.executionId, nodeId: next.nodeId };
      const prepared = await prepareStep(this.deps, context, next.nodeId);
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
    context.stepsRun += 1;
    const { attempt, lostRuns } = claim;
    const { node, handler, input, policy } = prepared;
    const finish = { step: ref, attempt, input: input.input, output: undefined };
    if (!input.ok || !handler || !node) {
      const error = input.ok ? "node not found" : input.error;
      this.deps.logger.warn({ ...ref, attempt, error }, "step input invalid");
      await failHeld(this, context, finish, error);
      return undefined;
    }
    if (lostRuns > MAX_LOST_RUNS) {
      await failHeld(this, context, finish, `the step was interrupted ${lostRuns} times (its worker was lost)`);
      return undefined;
    }
    // The handler sees real tries: a run lost with its worker never reached it.
    const run = { handler, node, data: input.data, attempt: attempt - lostRuns, stepId: ref.stepId };
    const { outcome, notifications, durationMs } = await runHandler(this.deps, context.workflow, prepared, run);
    this.deps.onStepFinished?.(node.type, outcome.kind, durationMs / 1000);
    const output = limitStored(outcome.output, this.deps.limits.maxOutputBytes);
    const log = { ...ref, type: node.type, attempt, lostRuns, durationMs };
    return recordRun(this, context, outcome, { ...finish, output, notifications }, policy, log);
  }
}
