/**
 * Peak memory of the engine's processes: VmHWM (the high-water mark of the
 * resident set) from /proc/<pid>/status. Read at the end of the run it covers
 * every measurement; read just before the live-update subscribers connect, it
 * shows what they add.
 */
import type { EngineContext } from "./context.js";

const SECTION = "Peak memory (VmHWM of the engine processes)";

/** Each process's peak so far, in MiB (undefined where /proc is not available), by label. */
export type PeakMemory = Map<string, number | undefined>;

export function peakMemory(ctx: EngineContext): PeakMemory {
  return new Map(ctx.fleet.all.map((p) => [p.label, p.peakRssMiB()]));
}

/** Records the peaks of the whole run, and those before the live-update subscribers if given. */
export function recordPeakMemory(ctx: EngineContext, beforeLive: PeakMemory | undefined): void {
  const rows: [string, PeakMemory][] = [
    ...(beforeLive ? [["before the live-update subscribers", beforeLive] as [string, PeakMemory]] : []),
    ["whole run", peakMemory(ctx)],
  ];
  for (const [when, peaks] of rows) {
    for (const [label, mib] of peaks) {
      if (mib === undefined) ctx.report.note(`peak memory of the ${label}: not available (no /proc/<pid>/status)`);
      else ctx.report.value(SECTION, `${label}, ${when}`, "MiB", [mib]);
    }
  }
}
