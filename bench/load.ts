/**
 * The load generator: `clients` concurrent clients, each starting work (an
 * event, an execution), waiting until every execution it started has
 * finished, and starting the next, for a fixed time. The first part of the
 * time is warm-up; figures count only what happens in the window after it.
 */
import type { CompletionWatcher } from "./watcher.js";

/** One unit of work a client starts: the executions it created, and the request's timing if it has one. */
export interface Started {
  executionIds: string[];
  sentAt?: number;
  responseMs?: number;
}

export interface LoadOptions {
  clients: number;
  durationMs: number;
  watcher: CompletionWatcher;
  start: () => Promise<Started>;
}

export interface LoadRun {
  /** After the warm-up (ms since the epoch). */
  windowStart: number;
  /** When the clients stopped starting work (ms since the epoch). */
  windowEnd: number;
  /** Every execution started, in or out of the window. */
  executionIds: string[];
  /** Those that ended FAILED or CANCELLED. */
  notSucceeded: string[];
  /** Timed requests sent inside the window. */
  responseMs: number[];
}

export async function closedLoop(options: LoadOptions): Promise<LoadRun> {
  const started = Date.now();
  const windowStart = started + Math.min(1000, options.durationMs * 0.2);
  const windowEnd = started + options.durationMs;
  const executionIds: string[] = [];
  const notSucceeded: string[] = [];
  const responseMs: number[] = [];
  const client = async () => {
    while (Date.now() < windowEnd) {
      const work = await options.start();
      executionIds.push(...work.executionIds);
      if (work.responseMs !== undefined && (work.sentAt ?? 0) >= windowStart) responseMs.push(work.responseMs);
      const statuses = await Promise.all(work.executionIds.map((id) => options.watcher.finished(id)));
      work.executionIds.forEach((id, i) => {
        if (statuses[i] !== "SUCCEEDED") notSucceeded.push(id);
      });
    }
  };
  await Promise.all(Array.from({ length: options.clients }, client));
  return { windowStart, windowEnd, executionIds, notSucceeded, responseMs };
}

/**
 * Runs the same load for `warmupMs`, measuring nothing, so the runs that
 * follow see the engine at its steady speed rather than while V8 is still
 * compiling its hot paths (at 10 clients, Lead routing ran at ≈ 180
 * executions/s for its first 10 s and ≈ 270/s from 15 s on).
 */
export async function warmUp(options: Omit<LoadOptions, "durationMs"> & { warmupMs: number }): Promise<void> {
  if (options.warmupMs <= 0) return;
  await closedLoop({ ...options, durationMs: options.warmupMs });
}
