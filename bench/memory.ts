/**
 * Peak memory of the engine's processes: VmHWM (the high-water mark of the
 * resident set) from /proc/<pid>/status, read at the end of the run, so it
 * covers every measurement before it, the 1,000 subscribers included.
 */
import type { EngineContext } from "./context.js";

export function recordPeakMemory(ctx: EngineContext): void {
  const section = "Peak memory (VmHWM of the engine processes over the whole run)";
  for (const process of ctx.fleet.all) {
    const mib = process.peakRssMiB();
    if (mib === undefined)
      ctx.report.note(`peak memory of the ${process.label}: not available (no /proc/<pid>/status)`);
    else ctx.report.value(section, process.label, "MiB", [mib]);
  }
}
