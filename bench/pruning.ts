/**
 * Retention (`--only pruning`): what the background pruner (src/engine/retention.ts) costs the
 * engine while it deletes `--prune-rows N` finished executions (200,000; 5,000 with `--quick`),
 * and what it gives back.
 *
 * 1. POST /events p50 under load without pruning: `clients` (10; 4 quick) closed-loop clients send
 *    Lead routing events for `--duration` (the Lead routing section's load, same workflow), before
 *    the pass and again after it (both together are the figure, so the machine's other load weighs
 *    on both sides alike).
 * 2. N finished executions generated 40 days old by `INSERT … SELECT generate_series` (no engine
 *    involved), each with 4 steps, 1 notification and 6 change-log rows, then ANALYZE.
 * 3. The pruner, with the engine's default knobs (RETENTION_BATCH_SIZE 200, a 50 ms pause), deletes
 *    them while the same load runs, window after window until it is done: POST /events p50 while
 *    pruning, the ratio to (1), each batch's duration (its transaction: how long it held its
 *    locks, p50/p99/max) and executions deleted per second.
 * 4. Table sizes (pg_total_relation_size, heap + indexes + TOAST) before generating, after, after
 *    pruning, after a plain VACUUM, and after generating N again; then a pruner without pauses and
 *    with batches of 2,000 deletes those (its rate is the pruner's ceiling on this machine).
 *
 * The pruner runs in the bench's process on its own two connections, as a worker would run it
 * (the fleet's workers have retention off, so no pass of theirs lands in another section).
 */
import os from "node:os";
import { loadConfig } from "../src/config.js";
import { createDatabase } from "../src/db/database.js";
import { Pruner, type RetentionSettings, retentionSettings } from "../src/engine/index.js";
import type { EngineContext } from "./context.js";
import { closedLoop } from "./load.js";
import { progress } from "./progress.js";
import { percentiles } from "./stats.js";
import { leadRouting } from "./workflows.js";

const SECTION = "Retention (pruner deleting finished executions under load)";
const TABLES = ["Execution", "Step", "ExecutionChange", "Notification"] as const;
/** The longest the pruning phase may run (the load goes on in windows until the pruner is done). */
const MAX_PRUNING_MS = 600_000;

/** The engine's own defaults (src/config.ts), so the figures are those of an engine left as shipped. */
const DEFAULTS: RetentionSettings = retentionSettings(loadConfig({}));

type Sizes = Record<(typeof TABLES)[number], number>;

export async function measurePruning(ctx: EngineContext): Promise<void> {
  const { pool } = ctx.database;
  const rows = ctx.options.pruneRows;
  const clients = ctx.options.quick ? 4 : 10;
  const workflow = leadRouting(ctx.target.url("/followup"));
  const { rows: existing } = await pool.query<{ id: string }>(
    `SELECT id FROM "Workflow" WHERE name = $1 AND "deletedAt" IS NULL LIMIT 1`,
    [workflow.name],
  );
  const workflowId = existing[0]?.id ?? (await ctx.api.createWorkflow(workflow));
  let sent = 0;
  const send = () =>
    ctx.api.sendEvent({ lead: { source: "LinkedIn", score: 90, title: ++sent % 2 === 0 ? "CEO" : "CTO", n: sent } });
  const load = (durationMs: number) => closedLoop({ clients, durationMs, watcher: ctx.watcher, start: send });

  progress(`pruning: warming up, then POST /events without pruning (${clients} clients)`);
  await load(ctx.options.quick ? 1000 : Math.max(1000, ctx.options.warmupMs / 3));
  const baseline = await load(ctx.options.durationMs);

  const loadBefore = os.loadavg()[0] ?? 0;
  const sizes: [string, Sizes][] = [["before generating", await tableSizes(ctx)]];
  progress(`pruning: generating ${rows.toLocaleString("en")} finished executions`);
  const generatedMs = await generate(ctx, workflowId, rows);
  sizes.push(["after generating", await tableSizes(ctx)]);

  const database = createDatabase(ctx.database.url, { poolSize: 2 });
  try {
    progress(`pruning: deleting ${rows.toLocaleString("en")} executions under load`);
    const batches: number[] = [];
    const pruner = new Pruner({
      sql: database.sql,
      logger: silentLogger,
      settings: DEFAULTS,
      onBatch: (kind, seconds) => kind === "executions" && batches.push(seconds * 1000),
    });
    const pruning = pruner.runOnce();
    let done = false;
    void pruning.finally(() => {
      done = true;
    });
    const during: number[] = [];
    const began = Date.now();
    while (!done && Date.now() - began < MAX_PRUNING_MS) {
      during.push(...(await load(Math.min(ctx.options.durationMs, 5000))).responseMs);
    }
    const pass = await pruning;
    const loadWhilePruning = os.loadavg()[0] ?? 0;
    if (pass.deleted.executions !== rows) {
      throw new Error(`the pruner deleted ${pass.deleted.executions} executions, expected ${rows}`);
    }
    // The figure without pruning is measured before and after the pass, so a change in the machine's
    // other load during the pass weighs on both sides alike.
    progress("pruning: POST /events without pruning, again");
    const after = await load(ctx.options.durationMs);
    sizes.push(["after pruning", await tableSizes(ctx)]);
    progress("pruning: VACUUM");
    for (const table of TABLES) await pool.query(`VACUUM "${table}"`);
    sizes.push(["after VACUUM", await tableSizes(ctx)]);
    progress(`pruning: generating ${rows.toLocaleString("en")} again`);
    await generate(ctx, workflowId, rows);
    sizes.push(["after generating again", await tableSizes(ctx)]);
    progress("pruning: deleting them again, no pause, batches of 2,000");
    const fast = await new Pruner({
      sql: database.sql,
      logger: silentLogger,
      settings: { ...DEFAULTS, batchSize: 2000, batchPauseMs: 0 },
    }).runOnce();

    const without = percentiles([...baseline.responseMs, ...after.responseMs]);
    const before = percentiles(baseline.responseMs);
    const afterFigures = percentiles(after.responseMs);
    const withPruning = percentiles(during);
    const lock = percentiles(batches);
    ctx.report.latency(SECTION, `POST /events, ${clients} clients, no pruning`, [without]);
    ctx.report.latency(SECTION, `POST /events, ${clients} clients, while pruning`, [withPruning]);
    ctx.report.value(SECTION, "POST /events p50 while pruning ÷ without", "ratio", [withPruning.p50 / without.p50]);
    ctx.report.latency(SECTION, `pruner batch (${DEFAULTS.batchSize} executions, one transaction)`, [lock]);
    ctx.report.value(SECTION, "pruner batch, longest", "ms", [Math.max(...batches)]);
    ctx.report.value(SECTION, "executions deleted while under load (50 ms pauses)", "exec/s", [
      pass.deleted.executions / (pass.durationMs / 1000),
    ]);
    ctx.report.value(SECTION, "executions deleted, no pause, batches of 2,000 (no load)", "exec/s", [
      fast.deleted.executions / (fast.durationMs / 1000),
    ]);
    ctx.report.value(SECTION, "rows deleted per pass (executions + steps + notifications + changes)", "rows", [
      pass.deleted.executions + pass.deleted.steps + pass.deleted.notifications + pass.deleted.changes,
    ]);
    ctx.report.value(SECTION, `generating ${rows.toLocaleString("en")} executions (with their rows)`, "ms", [
      generatedMs,
    ]);
    for (const [when, size] of sizes) {
      const mb = (n: number) => (n / 2 ** 20).toFixed(1);
      ctx.report.value(SECTION, `table sizes ${when} (MiB, all four)`, "MiB", [
        Object.values(size).reduce((a, b) => a + b, 0) / 2 ** 20,
      ]);
      ctx.report.note(`pruning: sizes ${when}: ${TABLES.map((t) => `${t} ${mb(size[t])} MiB`).join(", ")}`);
    }
    ctx.report.note(
      `pruning: ${rows.toLocaleString("en")} executions, ${pass.batches} batches in ${(pass.durationMs / 1000).toFixed(1)} s; ` +
        `POST /events p50 ${without.p50.toFixed(2)} ms without (${before.p50.toFixed(2)} before the pass, ` +
        `${afterFigures.p50.toFixed(2)} after; ${without.count} requests), ${withPruning.p50.toFixed(2)} ms while pruning ` +
        `(${withPruning.count} requests); 1-minute load average ${loadBefore.toFixed(1)} before the pass, ` +
        `${loadWhilePruning.toFixed(1)} at its end (2 cores); a plain VACUUM makes the dead rows' space reusable without ` +
        "returning it to the system, so the second generation fills it (VACUUM FULL or pg_repack would shrink the files)",
    );
  } finally {
    await database.close();
  }
}

/** `rows` executions of the workflow finished 40 days ago, with 4 steps, 1 notification and 6 changes each; then ANALYZE. */
async function generate(ctx: EngineContext, workflowId: string, rows: number): Promise<number> {
  const { pool } = ctx.database;
  const began = performance.now();
  const tag = `prune-${Date.now()}-`;
  await pool.query(
    `INSERT INTO "Execution" (id, "workflowId", "workflowVersion", status, payload, seq, "createdAt", "startedAt", "finishedAt")
     SELECT $1 || g, $2, 1, 'SUCCEEDED', jsonb_build_object('lead', jsonb_build_object('source', 'LinkedIn', 'n', g)), 6, t, t, t
     FROM (SELECT g, (now() AT TIME ZONE 'UTC') - interval '40 days' - g * interval '1 millisecond' AS t
           FROM generate_series(1, $3::int) AS g) AS v`,
    [tag, workflowId, rows],
  );
  await pool.query(
    `INSERT INTO "Step" (id, "executionId", "nodeId", type, status, seq, input, output, "startedAt", "finishedAt")
     SELECT e.id || '-' || n.node, e.id, n.node, n.type, 'SUCCEEDED', n.seq, '{}'::jsonb, '{"ok": true}'::jsonb,
       e."finishedAt", e."finishedAt"
     FROM "Execution" e
     CROSS JOIN (VALUES ('start', 'start', 1), ('check', 'branch', 2), ('notify', 'send_notification', 3),
       ('followup', 'http_call', 4)) AS n(node, type, seq)
     WHERE e.id LIKE $1 || '%'`,
    [tag],
  );
  await pool.query(
    `INSERT INTO "Notification" (id, "executionId", "stepId", "toRole", message)
     SELECT e.id || '-n', e.id, e.id || '-notify', 'sales', 'a hot lead' FROM "Execution" e WHERE e.id LIKE $1 || '%'`,
    [tag],
  );
  await pool.query(
    `INSERT INTO "ExecutionChange" ("executionId", seq, kind, status)
     SELECT e.id, c.seq, CASE WHEN c.seq IN (1, 6) THEN 'execution' ELSE 'step' END, 'SUCCEEDED'
     FROM "Execution" e CROSS JOIN generate_series(1, 6) AS c(seq) WHERE e.id LIKE $1 || '%'`,
    [tag],
  );
  for (const table of TABLES) await pool.query(`ANALYZE "${table}"`);
  return performance.now() - began;
}

async function tableSizes(ctx: EngineContext): Promise<Sizes> {
  const { rows } = await ctx.database.pool.query<{ name: string; bytes: string }>(
    `SELECT t AS name, pg_total_relation_size(format('%I', t)) AS bytes FROM unnest($1::text[]) AS t`,
    [[...TABLES]],
  );
  return Object.fromEntries(rows.map((r) => [r.name, Number(r.bytes)])) as Sizes;
}

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };
