/**
 * Tells the load generators when an execution has finished. One loop polls
 * PostgreSQL (the source of truth) every few milliseconds for all the
 * executions anyone is waiting on, in one query, so watching costs the engine
 * almost nothing whatever the number of clients.
 */
import type pg from "pg";
import { withDeadline } from "./deadline.js";

/** How often the database is asked. It only paces the clients: no figure is timed by this poll. */
const POLL_MS = 5;
/** An execution not finished after this is reported as stuck (an engine bug, or a dead worker). */
const STUCK_MS = 60_000;

export type FinalStatus = "SUCCEEDED" | "FAILED" | "CANCELLED";

interface Waiter {
  resolve: (status: FinalStatus) => void;
  reject: (error: Error) => void;
}

export class CompletionWatcher {
  private readonly waiting = new Map<string, Waiter[]>();
  private stopped = false;
  private loop: Promise<void> | undefined;
  private failure: Error | undefined;

  constructor(private readonly pool: pg.Pool) {}

  start(): void {
    this.loop ??= this.poll().catch((error: unknown) => {
      this.failure = error instanceof Error ? error : new Error(String(error));
      for (const waiters of this.waiting.values()) for (const w of waiters) w.reject(this.failure);
      this.waiting.clear();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** Resolves with the execution's final status; rejects if it has not finished within a minute. */
  finished(executionId: string): Promise<FinalStatus> {
    if (this.failure) return Promise.reject(this.failure);
    const status = new Promise<FinalStatus>((resolve, reject) => {
      this.waiting.set(executionId, [...(this.waiting.get(executionId) ?? []), { resolve, reject }]);
    });
    return withDeadline(status, STUCK_MS, `execution ${executionId} to finish`);
  }

  private async poll(): Promise<void> {
    while (!this.stopped) {
      if (this.waiting.size > 0) {
        // Prepared once per connection (planned on every poll it cost PostgreSQL a few % of a
        // core), and each execution found by its key (OFFSET 0 keeps the lookup from being turned
        // into a join, which a plan made while the table was small answered by scanning it).
        const { rows } = await this.pool.query<{ id: string; status: FinalStatus }>({
          name: "bench_finished_executions",
          text: `SELECT e.id, e.status::text AS status FROM unnest($1::text[]) AS x(id),
                   LATERAL (SELECT id, status FROM "Execution" WHERE id = x.id OFFSET 0) e
                 WHERE e.status IN ('SUCCEEDED', 'FAILED', 'CANCELLED')`,
          values: [[...this.waiting.keys()]],
        });
        for (const row of rows) {
          for (const waiter of this.waiting.get(row.id) ?? []) waiter.resolve(row.status);
          this.waiting.delete(row.id);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
