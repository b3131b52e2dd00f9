/**
 * Flow control's cost: the same workflow (start → notification → end)
 * unlimited, then with a concurrency limit of 1 per key over 100 keys, each
 * fed `--flow N` events from 10 clients at once (keys taken in turn) and
 * timed until every execution SUCCEEDED; the runs alternate, so both see the
 * same warm engine. The limited workflow's executions each wait in line and
 * are let in by admission, one per key at a time.
 */
import { type EngineContext, repeat } from "./context.js";
import { progress } from "./progress.js";
import { median } from "./stats.js";

const SECTION = "Flow control";
const CLIENTS = 10;
const KEYS = 100;

export async function measureFlowControl(ctx: EngineContext): Promise<void> {
  const count = ctx.options.flow;
  const graph = {
    nodes: [
      { id: "start", type: "start" },
      { id: "note", type: "send_notification", data: { toRole: "ops", message: "{{payload.key}}" } },
      { id: "end", type: "end" },
    ],
    edges: [
      { source: "start", target: "note" },
      { source: "note", target: "end" },
    ],
  };
  const free = await ctx.api.createWorkflow({
    name: "bench: unlimited",
    trigger: { "==": [{ var: "type" }, "bench.free"] },
    graph,
  });
  const keyed = await ctx.api.createWorkflow({
    name: "bench: one at a time per key",
    trigger: { "==": [{ var: "type" }, "bench.keyed"] },
    concurrency: { key: "{{payload.key}}", limit: 1 },
    graph,
  });
  progress("flow control: warming up (not measured)");
  await drain(ctx, "bench.free", free, Math.min(count, 500));
  await drain(ctx, "bench.keyed", keyed, Math.min(count, 500));

  const rates = { free: [] as number[], keyed: [] as number[] };
  await repeat(
    ctx,
    `flow control: ${count} executions unlimited, then limited to 1 per key over ${KEYS} keys`,
    async () => {
      rates.free.push(await drain(ctx, "bench.free", free, count));
      rates.keyed.push(await drain(ctx, "bench.keyed", keyed, count));
    },
  );
  ctx.report.value(SECTION, `unlimited, ${count} executions from ${CLIENTS} clients`, "exec/s", rates.free);
  ctx.report.value(SECTION, `concurrency limit 1 per key, ${KEYS} keys, ${count} executions`, "exec/s", rates.keyed);
  ctx.report.value(SECTION, "limited ÷ unlimited (median of each)", "×", [median(rates.keyed) / median(rates.free)]);
}

/** Sends `count` events of `type` from CLIENTS clients; executions per second until all of them SUCCEEDED. */
async function drain(ctx: EngineContext, type: string, workflowId: string, count: number): Promise<number> {
  const before = await succeeded(ctx, workflowId);
  const began = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let n = next++; n < count; n = next++) await ctx.api.sendEvent({ type, key: `k${n % KEYS}`, n });
    }),
  );
  const deadline = Date.now() + 300_000;
  while ((await succeeded(ctx, workflowId)) < before + count) {
    if (Date.now() > deadline) throw new Error(`${type}: ${count} executions did not finish within 300 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return count / ((performance.now() - began) / 1000);
}

async function succeeded(ctx: EngineContext, workflowId: string): Promise<number> {
  const { rows } = await ctx.database.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "Execution" WHERE "workflowId" = $1 AND status = 'SUCCEEDED'`,
    [workflowId],
  );
  return rows[0]?.n ?? 0;
}
