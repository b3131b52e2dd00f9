/**
 * Open event waits against the cost of ingesting events: POST /events at 10
 * clients with no wait open, then with `--waits` executions (10,000 by
 * default) each waiting for its own payment (a distinct key), then how fast
 * payments resume them. The events of the two timed runs start nothing and
 * resume nothing, but carry the field the waits are filed under, so each one
 * looks its value up among the open waits (the index, not a scan).
 */
import { type EngineContext, repeat } from "./context.js";
import { progress } from "./progress.js";
import { median, type Percentiles, percentiles } from "./stats.js";

const SECTION = "Event waits";
const CLIENTS = 10;

export async function measureWaits(ctx: EngineContext): Promise<void> {
  const open = ctx.options.waits;
  await ctx.api.createWorkflow({
    name: "bench: order waits for its payment",
    trigger: { "==": [{ var: "type" }, "bench.order"] },
    graph: {
      nodes: [
        { id: "start", type: "start" },
        {
          id: "payment",
          type: "wait_for_event",
          data: {
            match: {
              and: [{ "==": [{ var: "type" }, "bench.paid"] }, { "==": [{ var: "orderId" }, "{{payload.id}}"] }],
            },
          },
        },
      ],
      edges: [{ source: "start", target: "payment" }],
    },
  });
  let sent = 0;
  const unrelated = () => ({ type: "bench.ping", orderId: `none-${++sent}`, customer: { id: `c-${sent % 97}` } });

  progress(`POST /events, ${CLIENTS} clients: warming up (not measured)`);
  await timedEvents(ctx, unrelated, Math.max(ctx.options.warmupMs, 1000));
  const none = await repeat(ctx, `POST /events, ${CLIENTS} clients, no open wait`, () => timedEvents(ctx, unrelated));
  ctx.report.latency(SECTION, `POST /events, ${CLIENTS} clients, 0 open waits`, none);

  progress(`opening ${open} waits (one execution each, distinct keys)`);
  const opened = performance.now();
  await inParallel(open, CLIENTS * 2, (n) => ctx.api.sendEvent({ type: "bench.order", id: `o-${n}` }));
  await waitForOpenWaits(ctx, open);
  ctx.report.value(SECTION, `waits opened (event → WAITING), ${open}`, "waits/s", [
    open / ((performance.now() - opened) / 1000),
  ]);

  const many = await repeat(ctx, `POST /events, ${CLIENTS} clients, ${open} open waits`, () =>
    timedEvents(ctx, unrelated),
  );
  ctx.report.latency(SECTION, `POST /events, ${CLIENTS} clients, ${open} open waits`, many);
  const ratio = median(many.map((p) => p.p50)) / median(none.map((p) => p.p50));
  ctx.report.value(SECTION, `POST /events p50 with ${open} open waits ÷ with none`, "×", [ratio]);

  progress(`resuming the ${open} waits with their payments`);
  const resumed = performance.now();
  let notResumed = 0;
  await inParallel(open, CLIENTS, async (n) => {
    const answer = await ctx.api.sendEvent({ type: "bench.paid", orderId: `o-${n}` });
    if (answer.resumedStepIds.length !== 1) notResumed += 1;
  });
  ctx.report.value(SECTION, `payments resuming their wait (${CLIENTS} clients)`, "events/s", [
    open / ((performance.now() - resumed) / 1000),
  ]);
  if (notResumed > 0) ctx.report.note(`Event waits: ${notResumed} payments did not report resuming their wait`);

  // The same runs again with no wait open: the engine is as warm as for the runs with waits.
  const after = await repeat(ctx, `POST /events, ${CLIENTS} clients, no open wait again`, () =>
    timedEvents(ctx, unrelated),
  );
  ctx.report.latency(SECTION, `POST /events, ${CLIENTS} clients, 0 open waits (after)`, after);
  const againRatio = median(many.map((p) => p.p50)) / median(after.map((p) => p.p50));
  ctx.report.value(SECTION, `POST /events p50 with ${open} open waits ÷ with none (after)`, "×", [againRatio]);
}

/** `CLIENTS` clients sending events back to back for --duration; their response times. */
async function timedEvents(
  ctx: EngineContext,
  next: () => Record<string, unknown>,
  durationMs = ctx.options.durationMs,
): Promise<Percentiles> {
  const deadline = Date.now() + durationMs;
  const times: number[] = [];
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < deadline) times.push((await ctx.api.sendEvent(next())).responseMs);
    }),
  );
  return percentiles(times);
}

async function inParallel(count: number, width: number, each: (n: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await each(next++);
    }),
  );
}

async function waitForOpenWaits(ctx: EngineContext, count: number): Promise<void> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const { rows } = await ctx.database.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "EventWait" WHERE "stepId" IS NOT NULL`,
    );
    if ((rows[0]?.n ?? 0) >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${rows[0]?.n} of ${count} waits opened within 300 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
