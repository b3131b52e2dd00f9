/**
 * Engine throughput on the simplest work there is: a 10-node chain of
 * send_notification steps. Clients keep 2 × (workers × concurrency)
 * executions in flight through POST /executions (each client starts one,
 * waits for it to finish, starts the next), so the workers always have a
 * step to run; the figure is the steps that finished (SUCCEEDED, by
 * Step.finishedAt) inside the measurement window, per second. Each execution
 * has 11 steps: the start node's and the 10 notifications.
 */
import { type EngineContext, repeat } from "./context.js";
import { fromEpochMs } from "./database.js";
import { closedLoop, warmUp } from "./load.js";
import { progress } from "./progress.js";
import { notificationChain } from "./workflows.js";

const CHAIN_LENGTH = 10;

export async function measureChain(ctx: EngineContext): Promise<void> {
  const { workers, concurrency, durationMs, warmupMs } = ctx.options;
  const workflowId = await ctx.api.createWorkflow(notificationChain("bench chain", CHAIN_LENGTH));
  const inFlight = 2 * workers * concurrency;
  // Warm-up: the first execution loads what later ones reuse; then steady load until V8 compiled the hot paths.
  await ctx.watcher.finished(await ctx.api.startExecution(workflowId));
  const start = async () => ({ executionIds: [await ctx.api.startExecution(workflowId)] });
  progress(`chain: warming up (${warmupMs / 1000} s, not measured)`);
  await warmUp({ clients: inFlight, warmupMs, watcher: ctx.watcher, start });

  const rates = await repeat(ctx, `chain: ${CHAIN_LENGTH}-node send_notification chain`, async () => {
    const run = await closedLoop({
      clients: inFlight,
      durationMs,
      watcher: ctx.watcher,
      start,
    });
    if (run.notSucceeded.length > 0) ctx.report.note(`chain: ${run.notSucceeded.length} executions did not succeed`);
    const { rows } = await ctx.database.pool.query<{ steps: number }>(
      `SELECT count(*)::int AS steps FROM "Step"
       WHERE "executionId" = ANY($1) AND status = 'SUCCEEDED'
         AND "finishedAt" >= ${fromEpochMs("$2")} AND "finishedAt" < ${fromEpochMs("$3")}`,
      [run.executionIds, run.windowStart, run.windowEnd],
    );
    return (rows[0]?.steps ?? 0) / ((run.windowEnd - run.windowStart) / 1000);
  });
  ctx.report.value(
    "Engine throughput (server and workers as separate processes)",
    `steps on a ${CHAIN_LENGTH}-node send_notification chain (${inFlight} executions in flight)`,
    "steps/s",
    rates,
  );
}
