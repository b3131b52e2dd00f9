/**
 * The step queue for embedded mode: the same contract as the BullMQ adapter
 * (job-id deduplication, delays, concurrency, reschedule, retries of failed
 * jobs) inside this process. It keeps nothing: after a restart the reconciler
 * rebuilds every job from the database, as it does when Redis loses its data.
 */
import type { EngineLogger, StepJob, StepJobProcessor, StepQueue } from "../engine/index.js";
import { stepJobId } from "./step-ids.js";

/** setTimeout's ceiling (about 24.8 days); longer waits re-arm when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const JOB_ATTEMPTS = 8;
const JOB_BACKOFF_MS = 500;

interface Entry {
  job: StepJob;
  runAt: number;
  attemptsMade: number;
  /** Run before (rescheduled or retried since). */
  started?: boolean;
  timer?: NodeJS.Timeout;
}

export class InProcessStepQueue implements StepQueue {
  /** Every job not finished yet: waiting, delayed or running. Keyed by job id. */
  private readonly entries = new Map<string, Entry>();
  private readonly ready: string[] = [];
  private processor: StepJobProcessor | undefined;
  private running = new Set<Promise<void>>();
  private closed = false;
  private checkedOnce = false;

  constructor(
    private readonly concurrency: number,
    private readonly logger: EngineLogger,
  ) {}

  async enqueue(jobs: readonly StepJob[]): Promise<void> {
    for (const job of jobs) {
      const id = stepJobId(job);
      if (this.entries.has(id) || this.closed) continue;
      const entry: Entry = { job, runAt: job.runAt?.getTime() ?? Date.now(), attemptsMade: 0 };
      this.entries.set(id, entry);
      this.schedule(id, entry);
    }
  }

  /** A fresh process has no jobs at all: the first check says so, so the reconciler rebuilds them. */
  async lostJobsSinceLastCheck(): Promise<boolean> {
    const first = !this.checkedOnce;
    this.checkedOnce = true;
    return first;
  }

  async hasJob(jobId: string): Promise<boolean> {
    return this.entries.has(jobId);
  }

  async depth(): Promise<number> {
    return this.entries.size;
  }

  /** Starts running jobs through the processor. */
  start(processor: StepJobProcessor): void {
    this.processor = processor;
    this.pump();
  }

  /** Stops taking jobs, lets running ones finish, drops the rest (the database still has them). */
  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.entries.values()) clearTimeout(entry.timer);
    await Promise.all(this.running);
    this.entries.clear();
    this.ready.length = 0;
  }

  private schedule(id: string, entry: Entry): void {
    clearTimeout(entry.timer);
    const wait = entry.runAt - Date.now();
    if (wait <= 0) {
      this.ready.push(id);
      this.pump();
      return;
    }
    entry.timer = setTimeout(() => this.schedule(id, entry), Math.min(wait, MAX_TIMER_MS));
  }

  private pump(): void {
    while (this.processor && !this.closed && this.running.size < this.concurrency && this.ready.length > 0) {
      const id = this.ready.shift() as string;
      const entry = this.entries.get(id);
      if (!entry) continue;
      const run = this.run(id, entry, this.processor).finally(() => {
        this.running.delete(run);
        this.pump();
      });
      this.running.add(run);
    }
  }

  private async run(id: string, entry: Entry, processor: StepJobProcessor): Promise<void> {
    try {
      const firstRun = !entry.started;
      entry.started = true;
      const result = await processor({ ...entry.job }, { dueAt: entry.runAt, firstRun });
      if (result?.rescheduleAt && !this.closed) {
        entry.runAt = result.rescheduleAt.getTime();
        this.schedule(id, entry);
        return;
      }
      this.entries.delete(id);
    } catch (error) {
      entry.attemptsMade += 1;
      this.logger.error(
        { executionId: entry.job.executionId, stepId: entry.job.stepId, attemptsMade: entry.attemptsMade, err: error },
        "step job failed",
      );
      if (entry.attemptsMade >= JOB_ATTEMPTS || this.closed) {
        this.entries.delete(id); // the reconciler picks the step up again later
        return;
      }
      entry.runAt = Date.now() + JOB_BACKOFF_MS * 2 ** (entry.attemptsMade - 1);
      this.schedule(id, entry);
    }
  }
}
