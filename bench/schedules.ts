/**
 * Schedules at load: 200 workflows (quick: 20), each a lone `start` node with one every-second
 * cron schedule (`* * * * * *`), saved through GraphQL `createWorkflow`, fire for 30 s (quick:
 * 5 s) from the first whole second after the last was saved; then all are deactivated
 * (`updateWorkflow(isActive: false)`). The instants of the first 2 s are not measured. From
 * PostgreSQL, for every (schedule, instant) of the window: exactly one ScheduleFiring STARTED row
 * and exactly one execution (instants expected, fired, duplicated, missing); lateness = firedAt −
 * scheduledAt, the execution's createdAt (its transaction's start) − scheduledAt, and its
 * finishedAt − scheduledAt (its `start` step run by a worker). One run, whatever `--runs`.
 */
import type { EngineContext } from "./context.js";
import { epochMs, fromEpochMs } from "./database.js";
import { progress } from "./progress.js";
import { percentiles } from "./stats.js";

const SECTION = "Schedules (every-second cron, one execution per instant)";
const SCHEDULE_KEY = "tick";
/** Instants of the first seconds are not measured (the engine settling into the rhythm). */
const WARMUP_MS = 2000;
/** How long, after the window, the bench waits for its last instants to fire before deactivating. */
const STRAGGLERS_MS = 15_000;
/** Saves (and deactivations) in flight at once. */
const SAVE_CONCURRENCY = 10;

export async function measureSchedules(ctx: EngineContext): Promise<void> {
  const { schedules, firingMs } = ctx.options.quick
    ? { schedules: 20, firingMs: 5000 }
    : { schedules: 200, firingMs: 30_000 };
  const graphql = new GraphqlClient(`${ctx.fleet.serverUrl}/graphql`);

  const workflowIds: string[] = [];
  let deactivated = false;
  const deactivateAll = async () => {
    if (deactivated) return;
    deactivated = true;
    await inParallel(workflowIds.length, SAVE_CONCURRENCY, (n) => deactivate(graphql, workflowIds[n] as string));
  };
  try {
    progress(`schedules: saving ${schedules} workflows, each firing every second`);
    await inParallel(schedules, SAVE_CONCURRENCY, async (n) => {
      workflowIds.push(await createScheduled(graphql, n));
    });
    // The firing period starts on the first whole second after the last save.
    const firingFrom = Math.ceil(Date.now() / 1000) * 1000;
    const from = firingFrom + WARMUP_MS;
    const to = firingFrom + firingMs;
    const perSchedule = (to - from) / 1000;
    const expected = workflowIds.length * perSchedule;
    progress(
      `schedules: ${schedules} schedules firing for ${firingMs / 1000} s (the first ${WARMUP_MS / 1000} s not measured)`,
    );
    await sleepUntil(from);
    const before = await load(ctx);
    await sleepUntil(to);
    const during = since(before, await load(ctx));
    ctx.fleet.assertRunning();
    // Late instants of the window still fire: wait for them (bounded) before the schedules stop.
    progress("schedules: waiting for the window's last instants to fire");
    const deadline = Date.now() + STRAGGLERS_MS;
    while ((await startedIn(ctx, workflowIds, from, to)) < expected && Date.now() < deadline) {
      await sleep(100);
    }
    progress(`schedules: deactivating the ${schedules} workflows`);
    const stopping = Date.now();
    await deactivateAll();
    const stoppedAt = Date.now();
    await settle(ctx, workflowIds);

    const figures = await measure(ctx, workflowIds, from, to);
    ctx.report.value(SECTION, `instants expected (${schedules} × ${perSchedule} s)`, "instants", [expected]);
    ctx.report.value(SECTION, "fired (a STARTED firing and an execution)", "instants", [figures.fired]);
    ctx.report.value(SECTION, "duplicates (firings or executions beyond one)", "instants", [figures.duplicates]);
    ctx.report.value(SECTION, "missing (no STARTED firing or no execution)", "instants", [expected - figures.fired]);
    ctx.report.latency(SECTION, "firing: firedAt − scheduledAt", [percentiles(figures.firedLateness)]);
    ctx.report.latency(SECTION, "execution: createdAt − scheduledAt", [percentiles(figures.createdLateness)]);
    ctx.report.latency(SECTION, "execution: SUCCEEDED (finishedAt) − scheduledAt", [
      percentiles(figures.finishedLateness),
    ]);
    if (figures.unfinished > 0)
      ctx.report.note(`schedules: ${figures.unfinished} execution(s) of the window did not succeed`);
    const maxLate = Math.max(...figures.firedLateness);
    const overOneSecond = figures.firedLateness.filter((ms) => ms > 1000).length;
    ctx.report.note(
      `schedules: ${schedules} workflows (a lone start node, one "* * * * * *" schedule each) fired ${firingMs / 1000} s; ` +
        `instants ${new Date(from).toISOString()} – ${new Date(to - 1000).toISOString()} measured; ` +
        `latest firing ${num(maxLate)} ms, ${overOneSecond} of ${figures.firedLateness.length} over 1 s; ` +
        `other firing rows in the window: ${figures.otherStatuses || "none"}; ` +
        `deactivating took ${num(stoppedAt - stopping)} ms, firings after it: ${figures.firedAfter(stoppedAt)}`,
    );
    ctx.report.note(
      `schedules, over the measured window: worker CPU ${during.workerCpu} % of a core, server ${during.serverCpu} %, ` +
        `PostgreSQL ${during.commitsPerSecond} commits/s (for ${workflowIds.length} firings/s)`,
    );
    if (figures.duplicates > 0 || figures.fired < expected) {
      ctx.report.note(
        `schedules: NOT exactly once: ${figures.duplicates} duplicate(s), ${expected - figures.fired} missing`,
      );
    }
    const timers = await liveTimers(ctx, workflowIds);
    if (timers > 0) ctx.report.note(`schedules: ${timers} schedule(s) still had a timer after deactivation`);
  } finally {
    // However the section ends, the schedules it saved stop firing (the database goes at the bench's end).
    await deactivateAll().catch((error: unknown) => {
      process.stderr.write(`bench: deactivating the schedules' workflows failed: ${String(error)}\n`);
    });
  }
}

interface Measured {
  /** Instants of the window with a STARTED firing and an execution (more than one of either: `duplicates`). */
  fired: number;
  duplicates: number;
  firedLateness: number[];
  createdLateness: number[];
  /** The execution's finishedAt − scheduledAt, of those SUCCEEDED. */
  finishedLateness: number[];
  /** Executions of the window not SUCCEEDED. */
  unfinished: number;
  /** SKIPPED, BUFFERED or MISSED rows in the window, e.g. "MISSED 3". */
  otherStatuses: string;
  firedAfter: (ms: number) => number;
}

/** Every firing and every execution of these workflows, matched to the window's (schedule, instant) grid. */
async function measure(ctx: EngineContext, workflowIds: string[], from: number, to: number): Promise<Measured> {
  const pool = ctx.database.pool;
  const firings = await pool.query<{ workflowId: string; scheduledMs: number; firedMs: number; status: string }>(
    `SELECT "workflowId", ${epochMs('"scheduledAt"')} AS "scheduledMs", ${epochMs('"firedAt"')} AS "firedMs", status
     FROM "ScheduleFiring" WHERE "workflowId" = ANY($1) AND "scheduleKey" = $2 AND NOT manual`,
    [workflowIds, SCHEDULE_KEY],
  );
  // Executions by the instant in their payload, not by the firing rows: one not recorded by a firing counts too.
  const executions = await pool.query<{
    workflowId: string;
    scheduledMs: number;
    createdMs: number;
    finishedMs: number | null;
    status: string;
  }>(
    `SELECT "workflowId", ${epochMs(`(payload #>> '{$schedule,scheduledAt}')::timestamptz AT TIME ZONE 'UTC'`)} AS "scheduledMs",
       ${epochMs('"createdAt"')} AS "createdMs", ${epochMs('"finishedAt"')} AS "finishedMs", status::text AS status
     FROM "Execution" WHERE "workflowId" = ANY($1) AND payload #>> '{$schedule,id}' = $2`,
    [workflowIds, SCHEDULE_KEY],
  );
  const inWindow = (ms: number) => ms >= from && ms < to;
  const key = (workflowId: string, ms: number) => `${workflowId}@${Math.round(ms)}`;
  const started = new Map<string, number>();
  const created = new Map<string, number>();
  const firedLateness: number[] = [];
  const createdLateness: number[] = [];
  const finishedLateness: number[] = [];
  let unfinished = 0;
  const others = new Map<string, number>();
  for (const f of firings.rows) {
    if (!inWindow(f.scheduledMs)) continue;
    if (f.status !== "STARTED") {
      others.set(f.status, (others.get(f.status) ?? 0) + 1);
      continue;
    }
    const k = key(f.workflowId, f.scheduledMs);
    started.set(k, (started.get(k) ?? 0) + 1);
    firedLateness.push(f.firedMs - f.scheduledMs);
  }
  for (const e of executions.rows) {
    if (!inWindow(e.scheduledMs)) continue;
    const k = key(e.workflowId, e.scheduledMs);
    created.set(k, (created.get(k) ?? 0) + 1);
    createdLateness.push(e.createdMs - e.scheduledMs);
    if (e.status === "SUCCEEDED" && e.finishedMs !== null) finishedLateness.push(e.finishedMs - e.scheduledMs);
    else unfinished += 1;
  }
  let fired = 0;
  let duplicates = 0;
  for (const workflowId of workflowIds) {
    for (let ms = from; ms < to; ms += 1000) {
      const k = key(workflowId, ms);
      const s = started.get(k) ?? 0;
      const c = created.get(k) ?? 0;
      if (s > 0 && c > 0) fired += 1;
      duplicates += Math.max(0, s - 1) + Math.max(0, c - 1);
    }
  }
  // An instant off the whole second would be a firing the grid above does not know: counted as a duplicate.
  const grid = (ms: number) => Math.round(ms) % 1000 === 0;
  duplicates += [...started.keys(), ...created.keys()].filter((k) => !grid(Number(k.split("@")[1]))).length;
  return {
    fired,
    duplicates,
    firedLateness,
    createdLateness,
    finishedLateness,
    unfinished,
    otherStatuses: [...others].map(([status, n]) => `${status} ${n}`).join(", "),
    firedAfter: (ms) => firings.rows.filter((f) => f.firedMs > ms).length,
  };
}

interface Load {
  at: number;
  worker: number | undefined;
  server: number | undefined;
  commits: number;
}

/** The engine's CPU so far (its worker, its server) and the commits of the bench's database. */
async function load(ctx: EngineContext): Promise<Load> {
  const { rows } = await ctx.database.pool.query<{ commits: string }>(
    "SELECT xact_commit AS commits FROM pg_stat_database WHERE datname = current_database()",
  );
  const worker = ctx.fleet.workers.reduce<number | undefined>((sum, w) => {
    const cpu = w.cpuSeconds();
    return sum === undefined || cpu === undefined ? undefined : sum + cpu;
  }, 0);
  return { at: Date.now(), worker, server: ctx.fleet.server.cpuSeconds(), commits: Number(rows[0]?.commits) };
}

/** CPU as % of one core (all workers together), commits per second, between two readings. */
function since(a: Load, b: Load): { workerCpu: string; serverCpu: string; commitsPerSecond: string } {
  const seconds = (b.at - a.at) / 1000;
  const percent = (x: number | undefined, y: number | undefined) =>
    x === undefined || y === undefined ? "–" : num(((y - x) / seconds) * 100);
  return {
    workerCpu: percent(a.worker, b.worker),
    serverCpu: percent(a.server, b.server),
    commitsPerSecond: num((b.commits - a.commits) / seconds),
  };
}

/** STARTED firings of the window so far. */
async function startedIn(ctx: EngineContext, workflowIds: string[], from: number, to: number): Promise<number> {
  const { rows } = await ctx.database.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "ScheduleFiring"
     WHERE "workflowId" = ANY($1) AND status = 'STARTED' AND "scheduledAt" >= ${fromEpochMs("$2")}
       AND "scheduledAt" < ${fromEpochMs("$3")}`,
    [workflowIds, from, to],
  );
  return rows[0]?.n ?? 0;
}

/** Waits (at most 30 s) until no firing has been written for a second and the executions have ended. */
async function settle(ctx: EngineContext, workflowIds: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = "";
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    const { rows } = await ctx.database.pool.query<{ firings: number; live: number }>(
      `SELECT (SELECT count(*)::int FROM "ScheduleFiring" WHERE "workflowId" = ANY($1)) AS firings,
              (SELECT count(*)::int FROM "Execution" WHERE "workflowId" = ANY($1) AND status IN ('PENDING', 'RUNNING')) AS live`,
      [workflowIds],
    );
    const seen = `${rows[0]?.firings}`;
    if (seen !== last) {
      last = seen;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= 1000 && rows[0]?.live === 0) {
      return;
    }
    await sleep(100);
  }
  ctx.report.note("schedules: firings or executions had not settled 30 s after deactivation");
}

/** Schedules of these workflows that still have a timer. */
async function liveTimers(ctx: EngineContext, workflowIds: string[]): Promise<number> {
  const { rows } = await ctx.database.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "Schedule" WHERE "workflowId" = ANY($1) AND "nextFireAt" IS NOT NULL`,
    [workflowIds],
  );
  return rows[0]?.n ?? 0;
}

async function createScheduled(graphql: GraphqlClient, n: number): Promise<string> {
  const data = await graphql.request<{ createWorkflow: { id: string } }>(
    `mutation ($input: WorkflowInput!) { createWorkflow(input: $input) { id } }`,
    {
      input: {
        name: `bench: schedule ${n + 1}`,
        graph: { nodes: [{ id: "start", type: "start" }], edges: [] },
        schedules: [{ id: SCHEDULE_KEY, cron: "* * * * * *" }],
      },
    },
  );
  return data.createWorkflow.id;
}

async function deactivate(graphql: GraphqlClient, id: string): Promise<void> {
  await graphql.request(`mutation ($id: ID!) { updateWorkflow(id: $id, input: { isActive: false }) { id } }`, { id });
}

/** The server's GraphQL endpoint: `updateWorkflow` changes isActive alone (REST's PUT takes the whole workflow). */
class GraphqlClient {
  constructor(private readonly url: string) {}

  async request<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    const response = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(60_000),
    });
    const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
    if (!response.ok || body.errors?.length || !body.data) {
      throw new Error(`GraphQL: ${response.status} ${JSON.stringify(body.errors ?? body).slice(0, 500)}`);
    }
    return body.data;
  }
}

/** Runs `work(0 … count−1)`, at most `concurrency` at a time; the results in order. */
async function inParallel<T>(count: number, concurrency: number, work: (n: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const n = next++;
        results[n] = await work(n);
      }
    }),
  );
  return results;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function sleepUntil(at: number): Promise<void> {
  while (Date.now() < at) await sleep(Math.min(1000, at - Date.now()));
}

const num = (ms: number) => (Number.isFinite(ms) ? String(Math.round(ms)) : "–");
