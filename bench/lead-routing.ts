/**
 * "Lead routing" (SPEC section 7) fed by POST /events, with its delay set to 0
 * and its follow-up http_call aimed at the bench's own HTTP server. For each
 * client count, each client sends a lead, waits until the execution it started
 * has SUCCEEDED, and sends the next.
 *
 * Throughput counts executions that reached SUCCEEDED inside the measurement
 * window (by Execution.finishedAt), not requests accepted. Latencies come
 * from the rows the engine wrote, for executions whose event arrived inside
 * the window; the POST /events time is measured by the client.
 */
import { type EngineContext, repeat } from "./context.js";
import { epochMs, fromEpochMs } from "./database.js";
import { closedLoop, warmUp } from "./load.js";
import { progress } from "./progress.js";
import { type Percentiles, percentiles } from "./stats.js";
import { leadRouting } from "./workflows.js";

const THROUGHPUT_SECTION = "Engine throughput (server and workers as separate processes)";

type LatencyKey = "response" | "firstStep" | "handoff" | "succeeded";

/** The latency figures, in the order the table shows them. */
const LATENCIES: readonly (readonly [string, LatencyKey])[] = [
  ["POST /events response time", "response"],
  ["event accepted → first step started", "firstStep"],
  ["step finished → next step started", "handoff"],
  ["event accepted → execution SUCCEEDED", "succeeded"],
];

interface RunFigures extends Record<LatencyKey, Percentiles> {
  perSecond: number;
  /** Every hand-off measured 0 ms (see the note this produces). */
  handoffsAllZero: boolean;
}

export async function measureLeadRouting(ctx: EngineContext): Promise<void> {
  await ctx.api.createWorkflow(leadRouting(ctx.target.url("/followup")));
  // Warm-up, and a check that an event starts exactly one execution.
  const warm = await ctx.api.sendEvent(lead(0));
  if (warm.executionIds.length !== 1) {
    throw new Error(`a lead started ${warm.executionIds.length} executions, expected 1 (Lead routing's)`);
  }
  const status = await ctx.watcher.finished(warm.executionIds[0] as string);
  if (status !== "SUCCEEDED") throw new Error(`the warm-up Lead routing execution ended ${status}`);

  let sent = 0;
  const nextLead = () => lead(++sent);
  const { warmupMs, clients: clientCounts } = ctx.options;
  progress(`Lead routing: warming up (${warmupMs / 1000} s, not measured)`);
  await warmUp({
    clients: Math.max(...clientCounts),
    warmupMs,
    watcher: ctx.watcher,
    start: () => ctx.api.sendEvent(nextLead()),
  });
  let handoffsAllZero = true;
  for (const clients of ctx.options.clients) {
    const label = `${clients} client${clients === 1 ? "" : "s"}`;
    const runs = await repeat(ctx, `Lead routing via POST /events, ${label}`, () => oneRun(ctx, clients, nextLead));
    ctx.report.value(
      THROUGHPUT_SECTION,
      `Lead routing executions SUCCEEDED, ${label} on POST /events`,
      "exec/s",
      runs.map((r) => r.perSecond),
    );
    handoffsAllZero &&= runs.every((r) => r.handoffsAllZero);
    for (const [name, key] of LATENCIES) {
      ctx.report.latency(
        `Lead routing, ${label}`,
        name,
        runs.map((r) => r[key]),
      );
    }
  }
  if (handoffsAllZero) {
    ctx.report.note(
      "Lead routing: every step finished → next step started measures 0 ms: the engine claims each successor in the " +
        "statement that finishes its predecessor and stamps both with the same time (steps run in memory are " +
        "recorded with their predecessor at one instant), so the rows hold no gap (the real one, from that " +
        "commit to the successor's handler starting, is not recorded anywhere)",
    );
  }
}

/** A hot LinkedIn lead; every other one a CEO, so both branches run. */
function lead(n: number): Record<string, unknown> {
  return { lead: { source: "LinkedIn", score: 90, title: n % 2 === 0 ? "CEO" : "CTO", n } };
}

async function oneRun(
  ctx: EngineContext,
  clients: number,
  nextLead: () => Record<string, unknown>,
): Promise<RunFigures> {
  const run = await closedLoop({
    clients,
    durationMs: ctx.options.durationMs,
    watcher: ctx.watcher,
    start: () => ctx.api.sendEvent(nextLead()),
  });
  if (run.notSucceeded.length > 0) {
    ctx.report.note(`Lead routing, ${clients} clients: ${run.notSucceeded.length} executions did not succeed`);
  }
  const window = [run.windowStart, run.windowEnd];
  const pool = ctx.database.pool;

  const { rows: done } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "Execution"
     WHERE id = ANY($1) AND status = 'SUCCEEDED'
       AND "finishedAt" >= ${fromEpochMs("$2")} AND "finishedAt" < ${fromEpochMs("$3")}`,
    [run.executionIds, ...window],
  );

  // Executions whose event was accepted inside the window, with the times that matter.
  const inWindow = `e.id = ANY($1) AND ev."receivedAt" >= ${fromEpochMs("$2")} AND ev."receivedAt" < ${fromEpochMs("$3")}`;
  const { rows: executions } = await pool.query<{ first_step: number | null; succeeded: number | null }>(
    `SELECT ${epochMs(`(SELECT min(s."startedAt") FROM "Step" s WHERE s."executionId" = e.id)`)} - ${epochMs('ev."receivedAt"')} AS first_step,
            CASE WHEN e.status = 'SUCCEEDED' THEN ${epochMs('e."finishedAt"')} - ${epochMs('ev."receivedAt"')} END AS succeeded
     FROM "Execution" e JOIN "Event" ev ON ev.id = e."eventId"
     WHERE ${inWindow}`,
    [run.executionIds, ...window],
  );
  // Each step that ran, against the latest of the steps that led to it (Step.next holds where control flowed).
  const { rows: handoffs } = await pool.query<{ ms: number }>(
    `SELECT ${epochMs('s."startedAt"')} - max(${epochMs('p."finishedAt"')}) AS ms
     FROM "Execution" e JOIN "Event" ev ON ev.id = e."eventId"
     JOIN "Step" s ON s."executionId" = e.id
     JOIN "Step" p ON p."executionId" = e.id AND s."nodeId" = ANY(p.next)
     WHERE ${inWindow} AND s."startedAt" IS NOT NULL AND p."finishedAt" IS NOT NULL
     GROUP BY s.id, s."startedAt"`,
    [run.executionIds, ...window],
  );

  return {
    perSecond: (done[0]?.n ?? 0) / ((run.windowEnd - run.windowStart) / 1000),
    response: percentiles(run.responseMs),
    firstStep: percentiles(present(executions.map((e) => e.first_step))),
    handoff: percentiles(handoffs.map((h) => h.ms)),
    handoffsAllZero: handoffs.length > 0 && handoffs.every((h) => h.ms === 0),
    succeeded: percentiles(present(executions.map((e) => e.succeeded))),
  };
}

function present(values: (number | null)[]): number[] {
  return values.filter((v): v is number => v !== null);
}
