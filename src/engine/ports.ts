/**
 * What the engine needs from the outside, as interfaces it owns. The BullMQ
 * queue, the Redis bus and their in-process twins implement these; the engine
 * never imports them.
 */
import type { ExecutionStatus, StepStatus } from "../generated/prisma/enums.js";

/** A request to run (or resume) one step. Jobs carry ids (and, for a new execution's entry step, a hint). */
export interface StepJob {
  stepId: string;
  executionId: string;
  /**
   * Which run of the step this is: the attempt number for a run, "w" for the
   * end of a wait, "c@<child id>" (or "c", from the reconciler) for a child
   * execution that ended; other jobs: "deadline", "admit@<ms>", "replay@<ms>", "schedule@<ms>".
   * With the step id it makes the job id, so enqueueing the same run twice is a
   * no-op while different runs of one step never collide (no ":" in it: BullMQ
   * refuses job ids holding one).
   */
  generation: string;
  /** Not before this time (delays, retry backoff). */
  runAt?: Date;
  /** Set by the server on a new execution's entry step: see EntryHint. */
  entry?: EntryHint;
}

/**
 * The generation of an execution's deadline job (workflow timeoutMs): its
 * stepId is the execution's id, and it fails the execution if still running.
 */
export const DEADLINE_GENERATION = "deadline";

/** The generation of a job waking a step that waits for children: "c" (the reconciler), or "c@<child id>" (its end). */
export const CHILD_WAKE = "c";

/**
 * The generation of a workflow's admission job (a throttled line's next start): its stepId and
 * executionId are the workflow's id, followed by the time it is due in ms, so one per instant.
 */
export const ADMIT_GENERATION_PREFIX = "admit@";

/** A job that admits the workflow's line at `at` (runner/admissions.ts). */
export function admitJob(workflowId: string, at: Date): StepJob {
  return timedJob(ADMIT_GENERATION_PREFIX, workflowId, at);
}

/**
 * The generation of a schedule's job: both its ids are the Schedule row's, then the instant it is
 * due in ms (its timer), or the id of the execution whose end woke it (buffer_one).
 */
export const SCHEDULE_GENERATION_PREFIX = "schedule@";

/** A job that fires the schedule's instants due by `at` (engine/schedules.ts). */
export function scheduleJob(scheduleId: string, at: Date): StepJob {
  return timedJob(SCHEDULE_GENERATION_PREFIX, scheduleId, at);
}

/** A job that starts the schedule's buffered firing, now that `executionId` (the one it waited for) ended. */
export function scheduleWakeJob(scheduleId: string, executionId: string): StepJob {
  return { stepId: scheduleId, executionId: scheduleId, generation: `${SCHEDULE_GENERATION_PREFIX}${executionId}` };
}

/** A job about something that is not a step (a workflow's line, a replay): both ids are its id, one job per instant. */
export function timedJob(prefix: string, id: string, at: Date): StepJob {
  return { stepId: id, executionId: id, generation: `${prefix}${at.getTime()}`, runAt: at };
}

/**
 * What a worker would read about a new execution with its entry step's
 * claim, sent along by the server that wrote them (the payload as PostgreSQL
 * returned it). With it, an entry step that runs in memory (a `start` node)
 * is run, with the steps that may run in memory after it, before anything is
 * written, and all of them are recorded in the one statement that also takes
 * the step, if it is still PENDING (StepRunner.process). Only ever a shortcut:
 * without it, or when that statement finds the step taken, the job claims the
 * step as any other.
 */
export interface EntryHint {
  workflowId: string;
  workflowVersion: number;
  nodeId: string;
  payload: unknown;
}

export interface StepQueue {
  enqueue(jobs: readonly StepJob[]): Promise<void>;
  /** True when the queue lost its jobs since the last call (Redis restarted empty, FLUSHALL). */
  lostJobsSinceLastCheck(): Promise<boolean>;
}

/** What processing a job may ask of the queue: run this same job again later. */
export interface JobResult {
  rescheduleAt?: Date;
}

/**
 * What a queue knows of a job it hands out: when it became due (enqueued, or its delay ended), and
 * whether this is its first run (not a retry or a job run again later).
 */
export interface JobStart {
  dueAt: number;
  firstRun: boolean;
}

export type StepJobProcessor = (job: StepJob, start?: JobStart) => Promise<JobResult | undefined>;

export type EngineChange =
  | {
      type: "execution";
      executionId: string;
      workflowId: string;
      status: ExecutionStatus;
      seq: number;
      /** Its running steps were ended (a timeout): workers abort their calls, as for a cancel. */
      abortsRunning?: boolean;
    }
  | {
      type: "step";
      executionId: string;
      workflowId: string;
      stepId: string;
      nodeId: string;
      status: StepStatus;
      seq: number;
    }
  | { type: "notification"; notificationId: string; executionId: string; stepId: string; toRole: string };

/** A bulk replay's progress (engine/replays.ts): published, never part of an execution's change log. */
export interface ReplayChange {
  type: "replay";
  replayId: string;
  workflowId: string;
  status: string;
  rerun: number;
  skipped: number;
  total: number;
}

/** What the engine publishes: an execution's changes, and replays' progress. */
export type PublishedChange = EngineChange | ReplayChange;

/** Publishes committed changes to subscribers (after the transaction, never inside it). */
export interface ChangePublisher {
  publishChanges(changes: readonly PublishedChange[]): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** The logging the engine does; pino's Logger satisfies it. */
export interface EngineLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * Traces (OpenTelemetry, src/telemetry/): absent unless turned on, so the engine's only cost when
 * off is checking that it is absent. Every span of an execution lands in one trace whose id is
 * derived from the execution's id, in whichever process emits it.
 */
export interface EngineTracing {
  /** Executions whose creation just committed: one zero-length `execution.started` span each, at once. */
  executionsStarted(executions: readonly StartedExecution[]): void;
  /** A step's handler is about to run: the attempt's span, a child of its execution's `execution.started`. */
  stepAttempt(attempt: StepAttempt): StepAttemptSpan;
}

export interface StartedExecution {
  executionId: string;
  workflowId: string;
  workflowVersion: number;
  /** A child execution (call_workflow, for_each): its span is linked to its parent's. */
  parentExecutionId?: string | null;
  parentStepId?: string | null;
}

export interface StepAttempt {
  executionId: string;
  workflowId: string;
  nodeId: string;
  type: string;
  attempt: number;
  /** Run in memory ahead of its record (run-ahead.ts, entry-step.ts). */
  inMemory: boolean;
  /** The step's row, when it has one yet (a claimed step): children it starts link to this attempt's span. */
  stepId?: string;
}

/**
 * How a step attempt ended, as its handler returned (retry: failed, another attempt follows;
 * deferred: run in memory ahead of its record, which it cannot join (a wait not over, a failure),
 * so nothing of it is kept and the step runs again on its own).
 */
export type StepAttemptOutcome = "succeeded" | "waiting" | "retry" | "failed" | "deferred";

export interface StepAttemptSpan {
  /** The W3C `traceparent` of this span, sent on the attempt's outgoing HTTP calls. */
  readonly traceparent: string;
  end(outcome: StepAttemptOutcome, error?: string): void;
}
