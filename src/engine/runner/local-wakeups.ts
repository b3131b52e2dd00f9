/**
 * Precise ends for short waits. A waiting step always has a delayed queue job
 * (durable: it survives this process), but a queue on Redis fires delayed jobs
 * only as precisely as Redis times out a blocking read: with Redis's default
 * `hz` of 10, 0–100 ms late (measured: bare BullMQ 1-second delays p50 47 ms,
 * p95 95 ms late). So the worker that parked the step also sets a timer of
 * its own for waits ending soon, and ends the wait on time. Whichever comes
 * first wins; the other finds the step already moved on (the update is
 * conditional) and does nothing. A timer lost with its process costs nothing:
 * the queue job is still there.
 */
import type { JobResult, StepJob } from "../ports.js";

export interface LocalWakeupOptions {
  /** Waits ending further away than this are left to the queue alone. */
  horizonMs: number;
  /** Most wait ends handled at once by timers (beyond it, the queue handles them). */
  maxRunning: number;
}

export class LocalWakeups {
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = 0;
  private stopped = false;

  constructor(
    private readonly wake: (job: StepJob) => Promise<JobResult | undefined>,
    private readonly options: LocalWakeupOptions,
  ) {}

  /** Ends `job`'s wait at `at` from this process too, when `at` is soon enough. */
  schedule(job: StepJob, at: Date): void {
    const delay = at.getTime() - Date.now();
    if (this.stopped || delay > this.options.horizonMs) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        void this.fire(job);
      },
      Math.max(0, delay),
    );
    this.timers.add(timer);
  }

  /** Cancels the pending timers; their queue jobs end those waits instead. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private async fire(job: StepJob): Promise<void> {
    if (this.stopped || this.running >= this.options.maxRunning) return;
    this.running += 1;
    try {
      const result = await this.wake(job);
      // Not due yet by the runner's clock (a timer may fire a hair early): look again then.
      if (result?.rescheduleAt) this.schedule(job, result.rescheduleAt);
    } catch {
      // The queue job retries the same work, with its own logging.
    } finally {
      this.running -= 1;
    }
  }
}
