/**
 * Schedules under faults: 20 workflows, each with one every-second cron schedule (start → an
 * HTTP call to the target), fire while a worker is killed with SIGKILL, Redis restarts empty and
 * PostgreSQL restarts; they keep firing until a few seconds after the last fault, then are
 * deactivated and what is in flight finishes. Then, per schedule, every second from the first
 * instant after it was saved to the last one due well before it was deactivated must be one
 * STARTED firing (late is fine: the outages are far under the 60 s an instant may be late; no
 * gap, no second execution, nothing SKIPPED or MISSED), with exactly one execution carrying that
 * `$schedule.scheduledAt`, SUCCEEDED, whose call reached the target; and nothing may fire once
 * the deactivation was answered.
 */
import type pg from "pg";
import type { Engine } from "./engine.js";
import type { FlowFaults } from "./flow-control.js";
import type { HttpTarget } from "./target.js";
import { seconds, sleep } from "./util.js";
import { groupBy } from "./verify.js";

export const SCHEDULE_WORKFLOWS = 20;
/** Firing before the first fault, between faults, and after the last one recovered. */
const BEFORE_MS = 2_500;
const BETWEEN_MS = 1_500;
const AFTER_MS = 8_000;
/** Instants due this long before the deactivation was sent must have fired (the engine is on time again by then). */
const TAIL_MS = 2_000;

export interface SchedulesResult {
  schedules: number;
  /** Seconds each schedule had to fire, summed over the schedules. */
  instants: number;
  /** STARTED firings over those seconds. */
  fired: number;
  /** Instants with more than one execution (or firing). */
  duplicates: number;
  /** Instants with no STARTED firing or no execution. */
  missing: number;
  executions: number;
  succeeded: number;
  callsArrived: number;
  /** firedAt − scheduledAt over every firing. */
  maxLatenessMs: number;
  medianLatenessMs: number;
  /** The longest lateness before the first fault, to compare the recovery with. */
  baselineLatenessMs: number;
  /**
   * Per fault: how long injecting it took (Redis: down 1 s; PostgreSQL: pg_ctl restart), and the longest
   * lateness of the instants due from it until the next fault (how long it held firing up).
   */
  recovery: { fault: string; tookMs: number; ms: number }[];
  runMs: number;
  problems: string[];
}

interface FiringRow {
  workflowId: string;
  atMs: number;
  lateMs: number;
  firedMs: number;
  status: string;
  manual: boolean;
  executionId: string | null;
  reason: string | null;
}

interface ExecutionRow {
  id: string;
  workflowId: string;
  status: string;
  scheduledAt: string | null;
}

interface Saved {
  id: string;
  body: Record<string, unknown>;
  /** When the save was answered: its first instant is the next whole second at the latest. */
  savedAt: number;
  /** When its deactivation was sent, and answered. */
  stopSentAt: number;
  stoppedAt: number;
}

export async function runSchedules(
  engine: Engine,
  pool: pg.Pool,
  target: HttpTarget,
  faults: FlowFaults,
  log: (message: string) => void,
): Promise<SchedulesResult> {
  const began = Date.now();
  const problems: string[] = [];
  const problem = (text: string) => {
    if (problems.length < 12) problems.push(text);
  };
  const crashesBefore = engine.crashes.length;
  const saved: Saved[] = [];
  for (let n = 0; n < SCHEDULE_WORKFLOWS; n += 1) saved.push(await create(engine.baseUrl, target.baseUrl, n));

  const faultAt: { fault: string; at: number; tookMs: number }[] = [];
  const inject = async (fault: string, run: () => Promise<void>) => {
    const at = Date.now();
    await run();
    faultAt.push({ fault, at, tookMs: Date.now() - at });
  };
  await sleep(BEFORE_MS);
  log(`schedules: ${saved.length} every-second schedules firing; faults while they fire`);
  await inject("kill -9", faults.killWorker);
  await sleep(BETWEEN_MS);
  await inject("Redis", faults.restartRedis);
  await sleep(BETWEEN_MS);
  await inject("PostgreSQL", faults.restartPostgres);
  await sleep(AFTER_MS);

  await Promise.all(saved.map((s) => deactivate(engine.baseUrl, s)));
  const settledMs = await settle(pool, saved);
  if (settledMs === undefined) problem("executions still running, or timers still set, 60 s after the deactivation");

  const ids = saved.map((s) => s.id);
  const { rows: firings } = await pool.query<FiringRow>(
    `SELECT "workflowId", round(extract(epoch FROM "scheduledAt") * 1000)::float8 AS "atMs",
       round(extract(epoch FROM "firedAt" - "scheduledAt") * 1000)::float8 AS "lateMs",
       round(extract(epoch FROM "firedAt") * 1000)::float8 AS "firedMs",
       status, manual, "executionId", reason
     FROM "ScheduleFiring" WHERE "workflowId" = ANY($1::text[]) ORDER BY "workflowId", "scheduledAt"`,
    [ids],
  );
  const { rows: executions } = await pool.query<ExecutionRow>(
    `SELECT id, "workflowId", status::text AS status, payload->'$schedule'->>'scheduledAt' AS "scheduledAt"
     FROM "Execution" WHERE "workflowId" = ANY($1::text[])`,
    [ids],
  );

  const result: SchedulesResult = {
    schedules: saved.length,
    instants: 0,
    fired: 0,
    duplicates: 0,
    missing: 0,
    executions: executions.length,
    succeeded: executions.filter((x) => x.status === "SUCCEEDED").length,
    callsArrived: executions.filter((x) => target.count("/tick", `${x.id}:call`) > 0).length,
    maxLatenessMs: 0,
    medianLatenessMs: 0,
    baselineLatenessMs: 0,
    recovery: [],
    runMs: 0,
    problems,
  };
  for (const x of executions) {
    if (x.status !== "SUCCEEDED") problem(`execution ${x.id} (${x.scheduledAt}): ${x.status}`);
    else if (target.count("/tick", `${x.id}:call`) === 0) problem(`execution ${x.id} (${x.scheduledAt}): no call`);
  }

  for (const s of saved) {
    const own = firings.filter((f) => f.workflowId === s.id);
    const runs = executions.filter((x) => x.workflowId === s.id);
    for (const f of own) {
      if (f.status !== "STARTED" || f.manual)
        problem(
          `${s.id} ${iso(f.atMs)}: a ${f.status}${f.manual ? " manual" : ""} firing (${f.reason ?? "no reason"})`,
        );
      if (f.firedMs > s.stoppedAt) problem(`${s.id} ${iso(f.atMs)}: fired at ${iso(f.firedMs)}, after deactivation`);
      if (f.atMs % 1000 !== 0) problem(`${s.id}: an instant not on a whole second: ${iso(f.atMs)}`);
    }
    const started = own.filter((f) => f.status === "STARTED");
    const firstDue = Math.floor(s.savedAt / 1000) * 1000 + 1000;
    const lastDue = Math.floor((s.stopSentAt - TAIL_MS) / 1000) * 1000;
    const from = Math.min(firstDue, ...started.map((f) => f.atMs));
    const to = Math.max(lastDue, ...started.map((f) => f.atMs));
    const firingsAt = groupBy(started, (f) => f.atMs);
    const runsAt = groupBy(runs, (x) => (x.scheduledAt ? Date.parse(x.scheduledAt) : Number.NaN));
    for (let at = from; at <= to; at += 1000) {
      result.instants += 1;
      const fired = firingsAt.get(at) ?? [];
      const ran = runsAt.get(at) ?? [];
      if (fired.length > 0) result.fired += 1;
      if (fired.length > 1 || ran.length > 1) {
        result.duplicates += 1;
        problem(`${s.id} ${iso(at)}: ${fired.length} STARTED firings, ${ran.length} executions`);
      } else if (fired.length === 0 || ran.length === 0) {
        result.missing += 1;
        problem(`${s.id} ${iso(at)}: ${fired.length} STARTED firings, ${ran.length} executions`);
      } else if (fired[0]?.executionId !== ran[0]?.id) {
        problem(
          `${s.id} ${iso(at)}: the firing names execution ${fired[0]?.executionId}, the execution is ${ran[0]?.id}`,
        );
      }
    }
    const outside = runs.filter((x) => {
      const at = x.scheduledAt ? Date.parse(x.scheduledAt) : Number.NaN;
      return !(at >= from && at <= to && at % 1000 === 0);
    });
    for (const x of outside) problem(`${s.id}: execution ${x.id} for ${x.scheduledAt}, no instant it had to fire`);
  }

  const late = firings.map((f) => f.lateMs).sort((a, b) => a - b);
  result.maxLatenessMs = late.at(-1) ?? 0;
  result.medianLatenessMs = late[Math.floor(late.length / 2)] ?? 0;
  const firstFault = faultAt[0]?.at ?? Number.POSITIVE_INFINITY;
  result.baselineLatenessMs = Math.max(0, ...firings.filter((f) => f.atMs < firstFault).map((f) => f.lateMs));
  result.recovery = faultAt.map(({ fault, at, tookMs }, i) => {
    const until = faultAt[i + 1]?.at ?? Number.POSITIVE_INFINITY;
    const during = firings.filter((f) => f.atMs >= at && f.atMs < until).map((f) => f.lateMs);
    return { fault, tookMs, ms: Math.max(0, ...during) };
  });
  if (result.succeeded !== result.executions)
    problem(`${result.executions - result.succeeded} executions not SUCCEEDED`);
  for (const crash of engine.crashes.slice(crashesBefore))
    problem(`process crash: ${crash.name} (${crash.signal ?? crash.code})`);
  result.runMs = Date.now() - began;
  return result;
}

/** One line for the end of the run, and the problems under it; whether it passed. */
export function printSchedules(result: SchedulesResult): boolean {
  const ok = result.problems.length === 0 && result.duplicates === 0 && result.missing === 0;
  const recovery = result.recovery.map((r) => `${r.fault} ${duration(r.ms)} (fault ${duration(r.tookMs)})`).join(", ");
  process.stdout.write(
    `\nschedules under faults: ${ok ? "ok" : "FAILED"}: ${result.schedules} every-second schedules, ` +
      `${result.instants} instants, ${result.fired} fired, ${result.duplicates} duplicates, ${result.missing} missing; ` +
      `${result.succeeded}/${result.executions} executions SUCCEEDED, ${result.callsArrived} calls arrived; ` +
      `lateness median ${duration(result.medianLatenessMs)}, max ${duration(result.maxLatenessMs)} ` +
      `(before the faults ${duration(result.baselineLatenessMs)}); recovery (longest lateness after each fault): ${recovery}; ` +
      `in ${seconds(result.runMs)}\n`,
  );
  for (const problem of result.problems) process.stdout.write(`  - ${problem}\n`);
  return ok;
}

function definition(targetUrl: string, n: number): Record<string, unknown> {
  return {
    name: `chaos schedule ${n}`,
    schedules: [{ id: "tick", cron: "* * * * * *" }],
    graph: {
      nodes: [
        { id: "start", type: "start" },
        {
          id: "call",
          type: "http_call",
          data: { method: "POST", url: `${targetUrl}/tick`, body: { at: "{{payload.$schedule.scheduledAt}}" } },
        },
      ],
      edges: [{ id: "e1", source: "start", target: "call" }],
    },
  };
}

async function create(baseUrl: string, targetUrl: string, n: number): Promise<Saved> {
  const body = definition(targetUrl, n);
  const response = await fetch(`${baseUrl}/workflows`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as { id?: string };
  if (!answer.id) throw new Error(`creating schedule workflow ${n}: HTTP ${response.status} ${JSON.stringify(answer)}`);
  return { id: answer.id, body, savedAt: Date.now(), stopSentAt: 0, stoppedAt: 0 };
}

/** PUT with the same definition (a PUT replaces everything: the schedule must be in it) and is_active false; retried. */
async function deactivate(baseUrl: string, saved: Saved): Promise<void> {
  saved.stopSentAt = Date.now();
  for (let attempt = 0; ; attempt += 1) {
    const response = await fetch(`${baseUrl}/workflows/${saved.id}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...saved.body, is_active: false }),
    }).catch(() => undefined);
    if (response?.ok) break;
    if (attempt > 50)
      throw new Error(`deactivating ${saved.id}: ${response ? `HTTP ${response.status}` : "no answer"}`);
    await sleep(200);
  }
  saved.stoppedAt = Date.now();
}

/** Until every execution of these workflows finished and every timer is cleared; how long it took, or undefined after 60 s. */
async function settle(pool: pg.Pool, saved: readonly Saved[]): Promise<number | undefined> {
  const ids = saved.map((s) => s.id);
  const began = Date.now();
  while (Date.now() - began < 60_000) {
    const { rows } = await pool
      .query<{ open: number; timers: number }>(
        `SELECT (SELECT count(*) FROM "Execution" WHERE "workflowId" = ANY($1::text[]) AND status IN ('PENDING', 'RUNNING'))::int AS open,
           (SELECT count(*) FROM "Schedule" WHERE "workflowId" = ANY($1::text[]) AND "nextFireAt" IS NOT NULL)::int AS timers`,
        [ids],
      )
      .catch(() => ({ rows: [] }));
    if (rows[0]?.open === 0 && rows[0].timers === 0) return Date.now() - began;
    await sleep(250);
  }
  return undefined;
}

/** Milliseconds under a second, else seconds. */
function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : seconds(ms);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
