/**
 * Sends many requests of the same kind to PostgreSQL as one statement.
 *
 * On these machines most of what a step costs PostgreSQL and the worker is
 * per statement, not per row: the round trip, waking the backend, starting the
 * executor, the commit (bench/README.md). So while `maxInFlight`
 * statements are out, new requests wait, and leave together in the next one as
 * soon as one returns. With nothing in flight a request leaves at once, so a
 * lone request waits for nobody; with a statement out but a slot free, at the
 * end of the current turn of the event loop, with whatever else that turn asked.
 *
 * Requests with the same `distinctBy` key never share a statement: one
 * statement reads one snapshot, so two changes of the same execution in it
 * would both number their change log from the same seq. The later one waits
 * for the next statement.
 */
import type { SqlDb } from "../../db/sql.js";

/** Runs one statement for `items` and returns their results in the same order. */
export type BatchRunner<I, R> = (items: readonly I[]) => Promise<R[]>;

interface Waiting<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export interface BatcherOptions<I> {
  /** Statements of this kind out at once (several keep both PostgreSQL cores busy). */
  maxInFlight: number;
  /** Most items in one statement. */
  maxBatch: number;
  /** Requests with the same key go in different statements (none share one when absent). */
  distinctBy?: (item: I) => string;
}

export class StatementBatcher<I, R> {
  private waiting: Waiting<I, R>[] = [];
  private inFlight = 0;
  private pumpScheduled = false;

  constructor(
    private readonly run: BatchRunner<I, R>,
    private readonly options: BatcherOptions<I>,
  ) {}

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      // Nothing in flight: nobody to wait for (one client's latency). Otherwise the request
      // boards the statement that leaves when one returns, or at the end of this turn.
      if (this.inFlight === 0) this.pump();
      else this.schedulePump();
    });
  }

  /**
   * Sends at the end of this turn of the event loop, so requests made in the
   * same turn (the callers a returning batch released) leave together.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const batch = this.takeBatch();
      this.inFlight++;
      void this.send(batch).finally(() => {
        this.inFlight--;
        if (this.waiting.length > 0) this.schedulePump();
      });
    }
  }

  /** The oldest waiting requests, at most one per distinctBy key, up to maxBatch. */
  private takeBatch(): Waiting<I, R>[] {
    const batch: Waiting<I, R>[] = [];
    const rest: Waiting<I, R>[] = [];
    const keys = new Set<string>();
    const { distinctBy, maxBatch } = this.options;
    for (const waiting of this.waiting) {
      const key = distinctBy?.(waiting.item);
      if (batch.length < maxBatch && (key === undefined || !keys.has(key))) {
        if (key !== undefined) keys.add(key);
        batch.push(waiting);
      } else {
        rest.push(waiting);
      }
    }
    this.waiting = rest;
    return batch;
  }

  private async send(batch: readonly Waiting<I, R>[]): Promise<void> {
    try {
      const results = await this.run(batch.map((w) => w.item));
      for (const [index, waiting] of batch.entries()) waiting.resolve(results[index] as R);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      // The statement failed as a whole. Each request is tried alone, so that
      // whatever failed fails only its own caller. Every batched transition is
      // conditional, so one that did commit before a lost connection finds its
      // change made and writes nothing twice.
      await Promise.all(batch.map((w) => this.run([w.item]).then(([result]) => w.resolve(result as R), w.reject)));
    }
  }
}

/**
 * `create(db)` made once per database handle (kept while the handle lives), so
 * that everything in a process using one handle shares the same batchers.
 */
export function perDatabase<T>(create: (db: SqlDb) => T): (db: SqlDb) => T {
  const made = new WeakMap<SqlDb, T>();
  return (db) => {
    let found = made.get(db);
    if (found === undefined) {
      found = create(db);
      made.set(db, found);
    }
    return found;
  };
}
