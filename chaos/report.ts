/** The table printed at the end of a chaos run, and the notes under it. */
import type { LogLine } from "./engine.js";
import { seconds } from "./util.js";
import type { Verdict } from "./verify.js";

export interface ScenarioResult {
  name: string;
  verdict: Verdict;
  /** From the fault until every execution in flight at that moment had finished. */
  recoveryMs?: number;
  /** From the end of the load until every accepted event's executions had finished. */
  drainMs: number;
  /** Executions still not finished when the deadline passed. */
  unfinished: number;
  /** Non-2xx answers the clients got, by status ("503": 4). */
  answers: Record<string, number>;
  networkErrors: number;
  crashes: string[];
  logs: LogLine[];
}

/** Whether a scenario kept every guarantee (HTTP duplicates and retried requests are allowed). */
export function passed(result: ScenarioResult): boolean {
  const v = result.verdict;
  return (
    v.notAccepted === 0 &&
    v.wrongStatus === 0 &&
    v.duplicateSteps === 0 &&
    v.badPaths === 0 &&
    v.notificationErrors === 0 &&
    v.lostEvents === 0 &&
    v.missingHttpCalls === 0 &&
    result.unfinished === 0 &&
    result.crashes.length === 0
  );
}

const COLUMNS = [
  "scenario",
  "events accepted",
  "executions",
  "finished OK",
  "wrong status",
  "duplicate steps",
  "lost events",
  "other faults",
  "http dups",
  "client retries",
  "recovery time",
  "result",
] as const;

function row(result: ScenarioResult): string[] {
  const v = result.verdict;
  const other = v.badPaths + v.notificationErrors + v.missingHttpCalls + v.notAccepted + result.crashes.length;
  const retries = Object.entries(result.answers)
    .map(([status, count]) => `${count}×${status}`)
    .concat(result.networkErrors > 0 ? [`${result.networkErrors}×net`] : []);
  return [
    result.name,
    String(v.accepted),
    String(v.executions),
    String(v.finishedOk),
    String(v.wrongStatus + result.unfinished),
    String(v.duplicateSteps),
    String(v.lostEvents),
    String(other),
    String(v.duplicateHttpCalls),
    retries.length > 0 ? retries.join(" ") : "0",
    result.recoveryMs === undefined ? "-" : seconds(result.recoveryMs),
    passed(result) ? "ok" : "FAILED",
  ];
}

export function printReport(results: readonly ScenarioResult[], totalMs: number): void {
  const rows = [COLUMNS.slice(), ...results.map(row)];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  const out = [line(rows[0] ?? []), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.slice(1).map(line)];
  process.stdout.write(`\n${out.join("\n")}\n\n`);
  process.stdout.write(
    "other faults: wrong path, notification not exactly once, HTTP call never made, event not accepted, process crash\n" +
      "http dups: HTTP requests beyond the ones needed (at least once: allowed, reported)\n" +
      "client retries: answers that made a client try again (status or net = no answer)\n" +
      "recovery time: from the fault until every execution in flight at that moment had finished\n\n",
  );
  for (const result of results) {
    const notes = [
      ...result.crashes.map((c) => `process crash: ${c}`),
      ...result.verdict.problems,
      ...(result.unfinished > 0 ? [`${result.unfinished} executions never finished`] : []),
      ...summarizeLogs(result.logs),
    ];
    if (notes.length === 0) continue;
    process.stdout.write(
      `${result.name} (drain ${seconds(result.drainMs)}):\n${notes.map((n) => `  - ${n}`).join("\n")}\n`,
    );
  }
  process.stdout.write(
    `\nchaos: ${results.filter(passed).length}/${results.length} scenarios kept every guarantee in ${seconds(totalMs)}\n`,
  );
}

/** Error lines the engine logged during a scenario, grouped by message. */
function summarizeLogs(logs: readonly LogLine[]): string[] {
  const counts = new Map<string, number>();
  for (const line of logs) {
    if (line.level < 50) continue;
    // Prisma's messages start with where the call was made; the last line says what failed.
    const err = line.err?.split("\n").filter((l) => l.trim() !== "");
    const cause = err && err.length > 1 ? `${err[0]} ${err.at(-1)}` : err?.[0];
    const text = `${line.process.replace(/-\d+$/, "")} logged "${line.msg}"${cause ? `: ${cause.slice(0, 200)}` : ""}`;
    counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([text, count]) => `${count}× ${text}`);
}
