/**
 * Rebuilds queue jobs from PostgreSQL, the source of truth. At start, and
 * whenever the queue reports it lost its data, every open step gets its job
 * back; in between, only work that is overdue (its job should have run by now)
 * is re-enqueued. Job ids make all of this idempotent: a job that still exists
 * is not added twice, and a step that already moved on ignores a stale job.
 */
import type { SqlDb } from "../../db/sql.js";
import {
  CHILD_WAKE,
  type Clock,
  DEADLINE_GENERATION,
  type EngineLogger,
  type StepJob,
  type StepQueue,
  scheduleJob,
  systemClock,
} from "../ports.js";
import { replayJob } from "../replays.js";
import { workflowsInLine } from "../store/capacity-waits.js";
import { batchesToSettle } from "../store/child-executions.js";
import { forgetFinishedWaits, forgetOrphanCandidates, undecidedWaits } from "../store/event-waits.js";
import { type OpenStep, readDeadlines, readOpenSteps } from "../store/open-steps.js";
import { stalledReplays } from "../store/replays.js";
import { readBuffered, readTimers } from "../store/schedules.js";
import { enqueuePaged } from "./enqueue-paged.js";

export interface ReconcilerOptions {
  sql: SqlDb;
  queue: StepQueue;
  logger: EngineLogger;
  intervalMs: number;
  /** Work overdue by more than this is considered lost. */
  graceMs: number;
  batchSize?: number;
  /** Decides an execution's event waits (engine/waits.ts): for what a crash left undecided. */
  decideWaits?: (executionId: string) => Promise<unknown>;
  /** Admits a workflow's line (runner/admissions.ts): for lines a crash or a lost job left waiting. */
  admit?: (workflowId: string) => Promise<unknown>;
  /** The engine's clock, for schedules' timers (tests move it to show a catch-up). */
  clock?: Clock;
}

export interface ReconcileReport {
  full: boolean;
  enqueued: number;
}

export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(private readonly options: ReconcilerOptions) {}

  /** Runs a full pass now, then a pass every interval until stop(). */
  start(): void {
    this.stopped = false;
    const loop = async () => {
      this.running = this.runOnce().catch((error: unknown) =>
        this.options.logger.error({ err: error }, "reconcile pass failed"),
      );
      await this.running;
      if (!this.stopped) this.timer = setTimeout(loop, this.options.intervalMs);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One pass. Full when the queue lost its jobs (always true on the first call after a restart of Redis). */
  async runOnce(forceFull = false): Promise<ReconcileReport> {
    const full = (await this.options.queue.lostJobsSinceLastCheck()) || forceFull;
    const cutoff = new Date(Date.now() - this.options.graceMs);
    let enqueued = await this.enqueuePaged((page) => this.openSteps(full, cutoff, page), toJob);
    enqueued += await this.deadlines(full, cutoff);
    enqueued += await this.childWakes(cutoff);
    enqueued += await this.replays(cutoff);
    enqueued += await this.schedules(full);
    const decided = await this.undecidedWaits(cutoff);
    await this.admitLines();
    if (enqueued > 0 || decided > 0 || full) {
      this.options.logger.info({ full, enqueued, decided }, "reconciled open steps");
    }
    return { full, enqueued };
  }

  /** The deadline jobs of live executions with a timeout (all, or the overdue). */
  private deadlines(full: boolean, cutoff: Date): Promise<number> {
    return this.enqueuePaged(
      (page) => readDeadlines(this.options.sql, page, full ? undefined : cutoff),
      (e) => ({ stepId: e.id, executionId: e.id, generation: DEADLINE_GENERATION, runAt: e.deadlineAt }),
    );
  }

  /** Enqueues a job for every row `read` pages through (enqueue-paged.ts); returns how many. */
  private enqueuePaged<T extends { id: string }>(
    read: (page: { afterId: string; limit: number }) => Promise<T[]>,
    job: (row: T) => StepJob,
  ): Promise<number> {
    return enqueuePaged(this.options.queue, read, job, this.options.batchSize);
  }

  /**
   * Steps waiting for children, one of which ended without the step counting it (its wake job was
   * lost with a process or a flushed Redis): woken again (store/child-executions.ts).
   */
  private async childWakes(cutoff: Date): Promise<number> {
    const steps = await batchesToSettle(this.options.sql, cutoff, this.options.batchSize ?? 500);
    if (steps.length === 0) return 0;
    await this.options.queue.enqueue(
      steps.map((s) => ({ stepId: s.stepId, executionId: s.executionId, generation: CHILD_WAKE })),
    );
    return steps.length;
  }

  /** Bulk replays whose next batch's job was lost (a crash, a flushed Redis): their batch runs again. */
  private async replays(cutoff: Date): Promise<number> {
    const stalled = await stalledReplays(this.options.sql, cutoff);
    if (stalled.length === 0) return 0;
    await this.options.queue.enqueue(stalled.map((id) => replayJob(id, new Date())));
    return stalled.length;
  }

  /**
   * Schedules' timers: every one on a full pass, else those overdue (their job was lost), and
   * schedules whose buffered firing's wake was lost (the execution it waited for ended).
   */
  private async schedules(full: boolean): Promise<number> {
    const { sql, queue, graceMs, batchSize } = this.options;
    const now = (this.options.clock ?? systemClock).now();
    const cutoff = full ? undefined : new Date(now.getTime() - graceMs);
    const enqueued = await this.enqueuePaged(
      (page) => readTimers(sql, page, cutoff),
      (t) => scheduleJob(t.id, t.nextFireAt),
    );
    const woken = await readBuffered(sql, batchSize ?? 500);
    if (woken.length > 0) await queue.enqueue(woken.map((s) => scheduleJob(s.id, now)));
    return enqueued + woken.length;
  }

  /** Event waits whose decision a crash interrupted (their event committed, its pass never ran). */
  private async undecidedWaits(cutoff: Date): Promise<number> {
    const { decideWaits, sql, logger } = this.options;
    if (!decideWaits) return 0;
    let decided = 0;
    for (const executionId of await undecidedWaits(sql, cutoff, this.options.batchSize ?? 500)) {
      try {
        await decideWaits(executionId);
        decided += 1;
      } catch (error) {
        logger.error({ err: error, executionId }, "deciding event waits failed; next pass tries again");
      }
    }
    await forgetOrphanCandidates(sql, cutoff);
    await forgetFinishedWaits(sql, this.options.batchSize ?? 500);
    return decided;
  }

  /** Every workflow with executions waiting for capacity is admitted again (cheap when none can go). */
  private async admitLines(): Promise<void> {
    const { admit, sql, logger } = this.options;
    if (!admit) return;
    for (const workflowId of await workflowsInLine(sql)) {
      await admit(workflowId).catch((error: unknown) =>
        logger.error({ err: error, workflowId }, "admission failed; next pass tries again"),
      );
    }
  }

  /** Open steps of live executions: all on a full pass, else only those overdue (see readOpenSteps). */
  private openSteps(full: boolean, cutoff: Date, page: { afterId: string; limit: number }): Promise<OpenStep[]> {
    return readOpenSteps(this.options.sql, page, full ? undefined : cutoff);
  }
}

function toJob(step: OpenStep): StepJob {
  const runAt = step.resumeAt ?? undefined;
  if (step.status === "WAITING") return { stepId: step.id, executionId: step.executionId, generation: "w", runAt };
  // PENDING: its next attempt. RUNNING past its lease: the run that takes it over.
  return { stepId: step.id, executionId: step.executionId, generation: String(step.attempt + 1), runAt };
}
