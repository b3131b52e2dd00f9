/**
 * Delay accuracy: how late a 1-second delay lets its execution go on. Each run
 * starts `--delays` executions of start → wait (1 s delay) → after, spread over
 * a second, with nothing else running. Lateness = the next step's startedAt −
 * the WAITING step's resumeAt (when the delay was due), both from the database.
 */
import { type EngineContext, repeat } from "./context.js";
import { epochMs } from "./database.js";
import { percentiles } from "./stats.js";
import { oneSecondDelay } from "./workflows.js";

export async function measureDelays(ctx: EngineContext): Promise<void> {
  const workflowId = await ctx.api.createWorkflow(oneSecondDelay());
  const count = ctx.options.delays;
  const runs = await repeat(ctx, `delays: ${count} one-second delays`, async () => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      ids.push(await ctx.api.startExecution(workflowId));
      await new Promise((resolve) => setTimeout(resolve, 1000 / count));
    }
    const statuses = await Promise.all(ids.map((id) => ctx.watcher.finished(id)));
    const failed = statuses.filter((s) => s !== "SUCCEEDED").length;
    if (failed > 0) ctx.report.note(`delays: ${failed} executions did not succeed`);
    const { rows } = await ctx.database.pool.query<{ ms: number }>(
      `SELECT ${epochMs('a."startedAt"')} - ${epochMs('w."resumeAt"')} AS ms
       FROM "Step" w JOIN "Step" a ON a."executionId" = w."executionId" AND a."nodeId" = 'after'
       WHERE w."executionId" = ANY($1) AND w."nodeId" = 'wait'
         AND w."resumeAt" IS NOT NULL AND a."startedAt" IS NOT NULL`,
      [ids],
    );
    return percentiles(rows.map((r) => r.ms));
  });
  ctx.report.latency(
    "Delay accuracy (1 s delays, engine otherwise idle)",
    "lateness: next step started − resumeAt",
    runs,
  );
}
