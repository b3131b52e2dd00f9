/**
 * What the engine needs from the outside, as interfaces it owns. The BullMQ
 * queue, the Redis bus and their in-process twins implement these; the engine
 * never imports them.
 */
import type { ExecutionStatus, StepStatus } from "../generated/prisma/enums.js";

/** A request to run (or resume) one step. Jobs carry ids only. */
export interface StepJob {
  stepId: string;
  executionId: string;
  /**
   * Which run of the step this is: the attempt number for a run, "w" for the
   * end of a wait. With the step id it makes the job id, so enqueueing the same
   * run twice is a no-op while different runs of one step never collide.
   */
  generation: string;
  /** Not before this time (delays, retry backoff). */
  runAt?: Date;
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

export type StepJobProcessor = (job: StepJob) => Promise<JobResult | undefined>;

export type EngineChange =
  | { type: "execution"; executionId: string; workflowId: string; status: ExecutionStatus; seq: number }
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

/** Publishes committed changes to subscribers (after the transaction, never inside it). */
export interface ChangePublisher {
  publishChanges(changes: readonly EngineChange[]): Promise<void>;
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
