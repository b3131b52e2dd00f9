import { DelayedError, type Job, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { EngineLogger, StepJobProcessor } from "../engine/index.js";
import { throttled } from "../redis/connections.js";
import type { StepJobData } from "./step-jobs.js";

export interface BullConsumerOptions {
  connection: Redis;
  name: string;
  prefix: string;
  concurrency: number;
  lockMs: number;
  stalledIntervalMs: number;
  logger: EngineLogger;
}

/** Runs step jobs from BullMQ through the engine's processor. */
export class BullStepConsumer {
  readonly worker: Worker<StepJobData>;

  constructor(processor: StepJobProcessor, options: BullConsumerOptions) {
    this.worker = new Worker<StepJobData>(
      options.name,
      async (job: Job<StepJobData>, token?: string) => {
        // attemptsStarted counts every move to active: a job rescheduled or retried is no first run.
        const start = { dueAt: job.timestamp + (job.opts.delay ?? 0), firstRun: (job.attemptsStarted ?? 0) <= 1 };
        const result = await processor({ ...job.data }, start);
        if (result?.rescheduleAt && token) {
          // Same job, later: keeps its id, so duplicates stay deduplicated meanwhile.
          await job.moveToDelayed(result.rescheduleAt.getTime(), token);
          throw new DelayedError();
        }
      },
      {
        connection: options.connection,
        prefix: options.prefix,
        concurrency: options.concurrency,
        lockDuration: options.lockMs,
        stalledInterval: options.stalledIntervalMs,
        // A dead worker's jobs come back after the lock expires. The step's own
        // lease decides whether it may run again, so stalls are never fatal.
        maxStalledCount: 1000,
      },
    );
    this.worker.on("failed", (job, error) => {
      options.logger.error(
        { executionId: job?.data.executionId, stepId: job?.data.stepId, attemptsMade: job?.attemptsMade, err: error },
        "step job failed",
      );
    });
    // While Redis is down this fires on every reconnect attempt: once per 5 s is enough.
    this.worker.on(
      "error",
      throttled(5_000, (error, skipped) => options.logger.error({ err: error, skipped }, "queue worker error")),
    );
  }

  /** Stops taking jobs, waits for running ones to finish, and closes the connection's use. */
  async close(): Promise<void> {
    await this.worker.close();
  }
}
