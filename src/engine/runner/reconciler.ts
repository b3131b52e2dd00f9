/**
 * Rebuilds queue jobs from PostgreSQL, the source of truth. At start, and
 * whenever the queue reports it lost its data, every open step gets its job
 * back; in between, only work that is overdue (its job should have run by now)
 * is re-enqueued. Job ids make all of this idempotent: a job that still exists
 * is not added twice, and a step that already moved on ignores a stale job.
 */
import type { SqlDb } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";
import type { EngineLogger, StepJob, StepQueue } from "../ports.js";

export interface ReconcilerOptions {
  sql: SqlDb;
  queue: StepQueue;
  logger: EngineLogger;
  intervalMs: number;
  /** Work overdue by more than this is considered lost. */
  graceMs: number;
  batchSize?: number;
}

interface OpenStep {
  id: string;
  executionId: string;
  status: "PENDING" | "WAITING" | "RUNNING";
  attempt: number;
  resumeAt: Date | null;
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
    let enqueued = 0;
    let afterId = "";
    for (;;) {
      const batch = await this.openSteps(full, cutoff, afterId);
      if (batch.length === 0) break;
      await this.options.queue.enqueue(batch.map(toJob));
      enqueued += batch.length;
      afterId = (batch[batch.length - 1] as OpenStep).id;
    }
    if (enqueued > 0 || full) this.options.logger.info({ full, enqueued }, "reconciled open steps");
    return { full, enqueued };
  }

  /**
   * Open steps of live executions: all of them on a full pass; otherwise those
   * whose job is overdue (PENDING or WAITING past due, RUNNING past its lease).
   * Found through the open executions (Execution's status index) and their
   * steps (by executionId), so the cost follows what is open, not the history;
   * Step has no status index on purpose (see its model).
   */
  private openSteps(full: boolean, cutoff: Date, afterId: string): Promise<OpenStep[]> {
    const limit = this.options.batchSize ?? 500;
    if (full) {
      return this.options.sql.query<OpenStep>(Prisma.sql`
        SELECT s.id, s."executionId", s.status::text AS status, s.attempt, s."resumeAt"
        FROM "Execution" e JOIN "Step" s ON s."executionId" = e.id
        WHERE e.status IN ('PENDING', 'RUNNING') AND s.status IN ('PENDING', 'WAITING', 'RUNNING') AND s.id > ${afterId}
        ORDER BY s.id LIMIT ${limit}`);
    }
    return this.options.sql.query<OpenStep>(Prisma.sql`
      SELECT s.id, s."executionId", s.status::text AS status, s.attempt, s."resumeAt"
      FROM "Execution" e JOIN "Step" s ON s."executionId" = e.id
      WHERE e.status IN ('PENDING', 'RUNNING') AND s.id > ${afterId} AND (
        (s.status = 'PENDING' AND COALESCE(s."resumeAt", s."createdAt") < ${cutoff}) OR
        (s.status = 'WAITING' AND s."resumeAt" < ${cutoff}) OR
        (s.status = 'RUNNING' AND s."leaseUntil" < ${cutoff}))
      ORDER BY s.id LIMIT ${limit}`);
  }
}

function toJob(step: OpenStep): StepJob {
  const runAt = step.resumeAt ?? undefined;
  if (step.status === "WAITING") return { stepId: step.id, executionId: step.executionId, generation: "w", runAt };
  // PENDING: its next attempt. RUNNING past its lease: the run that takes it over.
  return { stepId: step.id, executionId: step.executionId, generation: String(step.attempt + 1), runAt };
}
