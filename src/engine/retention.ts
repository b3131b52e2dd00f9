/**
 * Retention: a background pruner run by every worker process, one at a time across all of them
 * (a lease row, store/prune-executions.ts). Each pass deletes, in small batches of their own short
 * transactions with a pause between them:
 * 1. finished executions older than their status's retention, with their steps, notifications,
 *    change log, waits and flow-control rows (and their events, when old and otherwise unused);
 * 2. events older than the events' retention that nothing refers to;
 * 3. schedule firings that can never matter again;
 * 4. the change log of executions finished longer ago than the compaction setting.
 * What it never deletes, and why, is in store/prune-executions.ts. Each batch's duration is
 * reported (how long it held its locks), and each pass logs what it deleted.
 */
import { randomUUID } from "node:crypto";
import type { SqlDb } from "../db/sql.js";
import { type Clock, type EngineLogger, systemClock } from "./ports.js";
import {
  addCounts,
  type CompactionCursor,
  compactChangeLogBatch,
  eventSweepBound,
  type FinishedStatus,
  noCounts,
  type PruneCounts,
  pruneExecutionBatch,
  pruneFiringBatch,
  releaseRetentionLease,
  saveRetentionState,
  sweepEventBatch,
  takeRetentionLease,
} from "./store/prune-executions.js";

export type { PruneCounts } from "./store/prune-executions.js";

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionSettings {
  /** Days; 0 keeps forever. SUCCEEDED and SKIPPED executions. */
  succeededDays: number;
  /** FAILED and CANCELLED executions. */
  failedDays: number;
  eventsDays: number;
  /** The change log of executions finished this long ago; 0: never compacted. */
  changeLogDays: number;
  intervalMs: number;
  batchSize: number;
  batchPauseMs: number;
}

/** One pass's report. */
export interface PrunePass {
  deleted: PruneCounts;
  batches: number;
  /** Milliseconds, the whole pass (pauses included). */
  durationMs: number;
  /** The longest batch, in ms. */
  longestBatchMs: number;
  /** False when another worker held the lease. */
  ran: boolean;
}

export interface PrunerOptions {
  sql: SqlDb;
  logger: EngineLogger;
  settings: RetentionSettings;
  clock?: Clock;
  /** Each batch's duration, in seconds, by what it pruned (executions, events, firings, changes). */
  onBatch?: (kind: string, seconds: number) => void;
  /** Rows deleted, by kind. */
  onDeleted?: (counts: PruneCounts) => void;
}

/** How long a pass holds the lease without renewing it: a worker that died mid-pass gives it up then. */
const LEASE_MS = 120_000;

export class Pruner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  /** Set by stop(): a pass in progress ends after its current batch. */
  private closing = false;
  private readonly holder = randomUUID();
  private readonly clock: Clock;

  constructor(private readonly options: PrunerOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** True when a setting asks for anything to be deleted. */
  get enabled(): boolean {
    const s = this.options.settings;
    return s.succeededDays > 0 || s.failedDays > 0 || s.eventsDays > 0 || s.changeLogDays > 0;
  }

  /** Runs a pass every interval (the first after one interval) until stop(). */
  start(): void {
    if (!this.enabled) return;
    this.closing = false;
    const loop = async () => {
      this.running = this.runOnce().catch((error: unknown) =>
        this.options.logger.error({ err: error }, "retention pass failed"),
      );
      await this.running;
      if (!this.closing) this.timer = setTimeout(loop, this.options.settings.intervalMs);
    };
    this.timer = setTimeout(loop, this.options.settings.intervalMs);
  }

  /** Stops after the batch in progress (a pass checks between batches). */
  async stop(): Promise<void> {
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One pass, if this process gets the lease. */
  async runOnce(): Promise<PrunePass> {
    const { sql, settings, logger } = this.options;
    const started = performance.now();
    const pass: PrunePass = { deleted: noCounts(), batches: 0, durationMs: 0, longestBatchMs: 0, ran: false };
    const state = await takeRetentionLease(sql, this.holder, LEASE_MS);
    if (!state) return pass;
    pass.ran = true;
    try {
      const now = this.clock.now();
      const ago = (days: number) => (days > 0 ? new Date(now.getTime() - days * DAY_MS) : null);
      const eventsCutoff = ago(settings.eventsDays);
      const classes: [FinishedStatus, Date | null][] = [
        ["SUCCEEDED", ago(settings.succeededDays)],
        ["SKIPPED", ago(settings.succeededDays)],
        ["FAILED", ago(settings.failedDays)],
        ["CANCELLED", ago(settings.failedDays)],
      ];
      for (const [status, cutoff] of classes) {
        if (!cutoff) continue;
        let after: Date | undefined;
        for (;;) {
          if (this.closing) return pass;
          const result = await this.batch(pass, "executions", async () => {
            const batch = await sql.transaction((tx) =>
              pruneExecutionBatch(tx, status, cutoff, eventsCutoff, settings.batchSize, after),
            );
            after = batch.last ?? after;
            return batch.counts;
          });
          if (result.executions === 0) break;
          await this.between(pass);
        }
      }
      if (eventsCutoff) await this.sweepEvents(pass, state.eventSeq, eventsCutoff);
      const firingDays = [settings.succeededDays, settings.failedDays].filter((d) => d > 0);
      const firingsCutoff = firingDays.length > 0 ? ago(Math.min(...firingDays)) : null;
      if (firingsCutoff) {
        for (;;) {
          if (this.closing) return pass;
          const firings = await this.batch(pass, "firings", async () => ({
            firings: await pruneFiringBatch(sql, firingsCutoff, now, settings.batchSize * 5),
          }));
          if (firings.firings === 0) break;
          await this.between(pass);
        }
      }
      const compactTo = ago(settings.changeLogDays);
      if (compactTo) await this.compact(pass, state.compactedUntil, compactTo);
      return pass;
    } finally {
      await releaseRetentionLease(sql, this.holder).catch(() => {});
      pass.durationMs = performance.now() - started;
      if (pass.batches > 0) {
        logger.info(
          {
            deleted: pass.deleted,
            batches: pass.batches,
            durationMs: Math.round(pass.durationMs),
            longestBatchMs: Math.round(pass.longestBatchMs * 10) / 10,
          },
          "retention pass",
        );
      }
    }
  }

  private async sweepEvents(pass: PrunePass, from: bigint, cutoff: Date): Promise<void> {
    const { sql, settings } = this.options;
    const bound = await eventSweepBound(sql, cutoff);
    let cursor = from;
    let held: bigint | undefined;
    try {
      while (cursor < bound) {
        if (this.closing) return;
        const result = await this.batch(pass, "events", async () => {
          const swept = await sweepEventBatch(sql, cursor, bound, cutoff, settings.batchSize * 5);
          cursor = swept.last;
          if (held === undefined && swept.held !== undefined) held = swept.held;
          return { events: swept.deleted, scanned: swept.scanned };
        });
        if (result.scanned === 0) return;
        await this.between(pass);
      }
    } finally {
      // The cursor stops before the first event held for a while: the next pass looks at it again.
      const saved = held !== undefined && held - 1n < cursor ? held - 1n : cursor;
      await saveRetentionState(sql, this.holder, { eventSeq: saved > from ? saved : from });
    }
  }

  private async compact(pass: PrunePass, from: Date | null, to: Date): Promise<void> {
    const { sql, settings } = this.options;
    if (from && from >= to) return;
    for (const status of ["SUCCEEDED", "SKIPPED", "FAILED", "CANCELLED"] as const) {
      let cursor: CompactionCursor | undefined;
      for (;;) {
        if (this.closing) return; // compactedUntil unchanged: redone next time
        const result = await this.batch(pass, "changes", async () => {
          const done = await compactChangeLogBatch(sql, status, from, to, cursor, settings.batchSize * 5);
          cursor = done.cursor;
          return { changes: done.deleted, more: done.cursor !== undefined };
        });
        if (!result.more) break;
        await this.between(pass);
      }
    }
    await saveRetentionState(sql, this.holder, { compactedUntil: to });
  }

  /** Runs one batch, timed and counted. */
  private async batch<T extends Partial<PruneCounts>>(
    pass: PrunePass,
    kind: string,
    work: () => Promise<T>,
  ): Promise<T> {
    const started = performance.now();
    const result = await work();
    const ms = performance.now() - started;
    pass.batches += 1;
    pass.longestBatchMs = Math.max(pass.longestBatchMs, ms);
    this.options.onBatch?.(kind, ms / 1000);
    const counts = noCounts();
    for (const key of Object.keys(counts) as (keyof PruneCounts)[]) {
      const n = result[key];
      if (typeof n === "number") counts[key] = n;
    }
    addCounts(pass.deleted, counts);
    if (Object.values(counts).some((n) => n > 0)) this.options.onDeleted?.(counts);
    return result;
  }

  /** The pause between batches; renews the lease. */
  private async between(pass: PrunePass): Promise<void> {
    const pause = this.options.settings.batchPauseMs;
    if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    if (pass.batches % 20 === 0) await takeRetentionLease(this.options.sql, this.holder, LEASE_MS);
  }
}

/** The settings of a Config (src/config.ts). */
export function retentionSettings(config: {
  RETENTION_SUCCEEDED_DAYS: number;
  RETENTION_FAILED_DAYS: number;
  RETENTION_EVENTS_DAYS: number;
  RETENTION_CHANGE_LOG_DAYS: number;
  RETENTION_INTERVAL_MS: number;
  RETENTION_BATCH_SIZE: number;
  RETENTION_BATCH_PAUSE_MS: number;
}): RetentionSettings {
  return {
    succeededDays: config.RETENTION_SUCCEEDED_DAYS,
    failedDays: config.RETENTION_FAILED_DAYS,
    eventsDays: config.RETENTION_EVENTS_DAYS,
    changeLogDays: config.RETENTION_CHANGE_LOG_DAYS,
    intervalMs: config.RETENTION_INTERVAL_MS,
    batchSize: config.RETENTION_BATCH_SIZE,
    batchPauseMs: config.RETENTION_BATCH_PAUSE_MS,
  };
}
