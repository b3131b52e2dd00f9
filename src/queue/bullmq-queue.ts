import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { EngineLogger, StepJob, StepQueue } from "../engine/index.js";
import { STEP_JOB_NAME, type StepJobData, stepJobOptions, toJobData } from "./step-jobs.js";

export interface BullQueueOptions {
  connection: Redis;
  name: string;
  prefix: string;
  logger?: EngineLogger;
}

/**
 * The producer side. It also keeps a sentinel key in Redis so the reconciler
 * can tell when Redis lost its data (restart without persistence, FLUSHALL)
 * and every job must be rebuilt from PostgreSQL.
 */
export class BullStepQueue implements StepQueue {
  readonly queue: Queue<StepJobData>;
  private readonly sentinelKey: string;

  constructor(private readonly options: BullQueueOptions) {
    this.queue = new Queue<StepJobData>(options.name, { connection: options.connection, prefix: options.prefix });
    this.sentinelKey = `${options.prefix}:${options.name}:sentinel`;
    // BullMQ re-emits its connection's errors here; with no listener it prints each one to
    // stderr. The connection's outages are logged where it is created (watchRedis).
    this.queue.on("error", (error) => options.logger?.debug({ err: error }, "queue producer error"));
  }

  async enqueue(jobs: readonly StepJob[]): Promise<void> {
    const now = Date.now();
    // Most commits enqueue one job (an event's first step). addBulk wraps even one in MULTI/EXEC
    // through an ioredis Pipeline, whose construction alone was ≈ 5 % of the server's CPU.
    const [only, ...more] = jobs;
    if (!only) return;
    if (more.length === 0) {
      await this.queue.add(STEP_JOB_NAME, toJobData(only), stepJobOptions(only, now));
      return;
    }
    await this.queue.addBulk(
      jobs.map((job) => ({ name: STEP_JOB_NAME, data: toJobData(job), opts: stepJobOptions(job, now) })),
    );
  }

  /** True when the sentinel is gone, i.e. Redis lost its data since the last call. Re-arms it. */
  async lostJobsSinceLastCheck(): Promise<boolean> {
    const created = await this.options.connection.set(this.sentinelKey, String(Date.now()), "NX");
    return created === "OK";
  }

  async hasJob(jobId: string): Promise<boolean> {
    return (await this.queue.getJob(jobId)) !== undefined;
  }

  /** Jobs waiting, delayed or running: the queue depth metric. */
  async depth(): Promise<number> {
    const counts = await this.queue.getJobCounts("waiting", "delayed", "active", "prioritized");
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
