/**
 * for_each's throughput: one parent maps over `--items N` items, each a child execution of a
 * two-step workflow (start → notification), at most `maxConcurrency` at a time; timed from the
 * start of the parent until it SUCCEEDED. Each item costs a child's start (written under the
 * parent's lock), its two steps, and the parent's wake when it ends.
 */
import { type EngineContext, repeat } from "./context.js";
import { progress } from "./progress.js";

const SECTION = "for_each";
const CONCURRENCIES = [10, 100];

export async function measureForEach(ctx: EngineContext): Promise<void> {
  const count = ctx.options.items;
  const item = await ctx.api.createWorkflow({
    name: "bench: item",
    graph: {
      nodes: [
        { id: "start", type: "start" },
        { id: "note", type: "send_notification", data: { toRole: "ops", message: "item {{payload.index}}" } },
      ],
      edges: [{ source: "start", target: "note" }],
    },
  });
  const parents = new Map<number, string>();
  for (const maxConcurrency of CONCURRENCIES) {
    const parent = await ctx.api.createWorkflow({
      name: `bench: for_each, ${maxConcurrency} at a time`,
      graph: {
        nodes: [
          { id: "start", type: "start" },
          { id: "each", type: "for_each", data: { items: "{{payload.items}}", workflowId: item, maxConcurrency } },
        ],
        edges: [{ source: "start", target: "each" }],
      },
    });
    parents.set(maxConcurrency, parent);
  }
  progress("for_each: warming up (not measured)");
  for (const parent of parents.values()) await mapAll(ctx, parent, Math.min(count, 200));

  for (const [maxConcurrency, parent] of parents) {
    const rates = await repeat(ctx, `for_each: ${count} items, ${maxConcurrency} at a time`, () =>
      mapAll(ctx, parent, count),
    );
    ctx.report.value(SECTION, `${count} items, maxConcurrency ${maxConcurrency}`, "items/s", rates);
  }
}

/** Starts the parent over `count` items; items per second until it SUCCEEDED. */
async function mapAll(ctx: EngineContext, parentWorkflow: string, count: number): Promise<number> {
  const began = performance.now();
  const id = await ctx.api.startExecution(parentWorkflow, { items: Array.from({ length: count }, (_, i) => i) });
  const deadline = Date.now() + 600_000;
  for (;;) {
    const { rows } = await ctx.database.pool.query<{ status: string }>(
      `SELECT status::text AS status FROM "Execution" WHERE id = $1`,
      [id],
    );
    const status = rows[0]?.status;
    if (status === "SUCCEEDED") break;
    if (status && status !== "PENDING" && status !== "RUNNING") throw new Error(`for_each parent ended ${status}`);
    if (Date.now() > deadline) throw new Error(`for_each over ${count} items did not finish within 600 s`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return count / ((performance.now() - began) / 1000);
}
