/**
 * What every measurement is handed: the options, the report to add figures
 * to, the database and Redis of this run and, once started, the engine.
 */
import type { EngineApi } from "./api.js";
import type { BenchDatabase } from "./database.js";
import type { HttpTarget } from "./http-target.js";
import type { BenchOptions } from "./options.js";
import type { EngineFleet } from "./processes.js";
import { progress } from "./progress.js";
import type { Report } from "./report.js";
import type { CompletionWatcher } from "./watcher.js";

export interface BenchContext {
  options: BenchOptions;
  report: Report;
  database: BenchDatabase;
  redisUrl: string;
  /** The engine's QUEUE_PREFIX; every Redis key the bench makes is under it. */
  queuePrefix: string;
}

/** With the engine running as separate processes. */
export interface EngineContext extends BenchContext {
  fleet: EngineFleet;
  api: EngineApi;
  target: HttpTarget;
  watcher: CompletionWatcher;
}

/** Runs a measurement `options.runs` times, showing progress; checks the engine is still alive between runs. */
export async function repeat<T>(
  ctx: BenchContext | EngineContext,
  label: string,
  once: () => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  for (let run = 1; run <= ctx.options.runs; run++) {
    progress(`${label} (run ${run}/${ctx.options.runs})`);
    if ("fleet" in ctx) ctx.fleet.assertRunning();
    results.push(await once());
  }
  return results;
}
