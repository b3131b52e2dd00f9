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
import { closedLoop } from "./load.js";
import { type Percentiles, percentiles } from "./stats.js";
import { leadRouting } from "./workflows.js";

const THROUGHPUT_SECTION = "Engine throughput (server and workers as separate processes)";

interface RunFigures {
  perSecond: number;
  response: Percentiles;
  firstStep: Percentiles;
  handoff: Percentiles;
  succeeded: Percentiles;
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

  for (const clients of ctx.options.clients) {
    const label = `${clients} client${clients === 1 ? "" : "s"}`;
    const runs = await repeat(ctx, `Lead routing via POST /events, ${label}`, () => oneRun(ctx, clients));
    ctx.report.value(
      THROUGHPUT_SECTION,
      `Lead routing executions SUCCEEDED, ${label} on POST /events`,
      "exec/s",
      runs.map((r) => r.perSecond),
    );
    const section = `Lead routing, ${label}`;
    ctx.report.latency(
      section,
      "POST /events response time",
      runs.map((r) => r.response),
    );
    ctx.report.latency(
      section,
      "event accepted → first step started",
      runs.map((r) => r.firstStep),
    );
    ctx.report.latency(
      section,
      "step finished → next step started",
      runs.map((r) => r.handoff),
    );
    ctx.report.latency(
      section,
      "event accepted → execution SUCCEEDED",
      runs.map((r) => r.succeeded),
    );
  }
}

let sequence = 0;

/** A hot LinkedIn lead; every other one a CEO, so both branches run. */
function lead(n: number): Record<string, unknown> {
  return { lead: { source: "LinkedIn", score: 90, title: n % 2 === 0 ? "CEO" : "CTO", n } };
}

async function oneRun(ctx: EngineContext, clients: number): Promise<RunFigures> {
  const run = await closedLoop({
    clients,
    durationMs: ctx.options.durationMs,
    watcher: ctx.watcher,
    start: () => ctx.api.sendEvent(lead(++sequence)),
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
    succeeded: percentiles(present(executions.map((e) => e.succeeded))),
  };
}

function present(values: (number | null)[]): number[] {
  return values.filter((v): v is number => v !== null);
}
