/**
 * `npm run chaos`: fault injection under load. Starts a private PostgreSQL
 * cluster, a private redis-server, a local HTTP target, a server and two
 * worker processes; drives concurrent POST /events clients; and, one scenario
 * after another, kills a worker with SIGKILL, restarts Redis empty and
 * restarts PostgreSQL. After each, every accepted event must come out right
 * (see verify.ts). Prints a table; exits 1 if any guarantee broke.
 *
 * Nothing shared is touched: the databases and Redis are the run's own and are
 * deleted at the end, even on failure. Options: CHAOS_CLIENTS (6),
 * CHAOS_PAUSE_MS (120), CHAOS_SCENARIOS (baseline,worker,redis,postgres: any
 * list, repeats allowed; also postgres-down, an 8 s outage; none for only the
 * checks below), CHAOS_KEEP_LOGS=1 to print every engine log line.
 * Then flow control under the same faults (flow-control.ts; CHAOS_FLOW_CONTROL=0 leaves it out),
 * then schedules under them (schedules.ts; CHAOS_SCHEDULES=0 leaves it out).
 */
import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { applyMigrations } from "../test/support/migrations.js";
import { Engine } from "./engine.js";
import { FLOW_LIMIT, type FlowFaults, runFlowControl } from "./flow-control.js";
import { startPrivatePostgres } from "./postgres.js";
import { startPrivateRedis } from "./redis.js";
import { passed, printReport, type ScenarioResult } from "./report.js";
import { runScenario, type Scenario, type ScenarioContext } from "./scenario.js";
import { printSchedules, runSchedules, SCHEDULE_WORKFLOWS } from "./schedules.js";
import { HttpTarget } from "./target.js";
import { freePort, seconds, waitFor } from "./util.js";
import { createCheckPool } from "./verify.js";
import { chaosWorkflows, type FlowName } from "./workflows.js";

const QUEUE_NAME = "chaos-steps";
const cleanups: (() => Promise<unknown>)[] = [];

/** Undoes what the run started, newest first; a step that hangs is abandoned after 20 s. */
async function cleanup(): Promise<void> {
  for (const step of cleanups.splice(0).reverse()) {
    let timer: NodeJS.Timeout | undefined;
    const abandoned = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 20_000);
    });
    await Promise.race([step().catch(() => undefined), abandoned]);
    clearTimeout(timer);
  }
}

function log(message: string) {
  process.stderr.write(`chaos: ${message}\n`);
}

async function main(): Promise<boolean> {
  const began = Date.now();
  log("starting a private PostgreSQL cluster and redis-server");
  const [postgres, redis, target] = await Promise.all([
    startPrivatePostgres(),
    startPrivateRedis(),
    new HttpTarget(50).start(),
  ]);
  cleanups.push(postgres.destroy, redis.stop, () => target.stop());
  await applyMigrations(postgres.url);
  const pool = createCheckPool(postgres.url);
  cleanups.push(() => pool.end());

  const prefix = `chaos-${randomBytes(4).toString("hex")}`;
  const engine = new Engine(
    {
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      QUEUE_NAME,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: "warn",
      LOG_FORMAT: "json",
      HTTP_ALLOWED_NETWORKS: "127.0.0.0/8,::1/128",
      WORKER_CONCURRENCY: "8",
      DB_POOL_SIZE: "6",
      STEP_LEASE_MS: "3000",
      QUEUE_LOCK_MS: "2000",
      QUEUE_STALLED_INTERVAL_MS: "1000",
      RECONCILE_INTERVAL_MS: "500",
      RECONCILE_GRACE_MS: "1500",
    },
    await freePort(),
  );
  cleanups.push(() => engine.stopAll());
  log("starting the server and two workers");
  engine.startWorker();
  engine.startWorker();
  await engine.startServer();
  await waitForWorkers(redis.url, prefix, 2);

  const workflowIds = await createWorkflows(engine.baseUrl, target.baseUrl);
  const ctx: ScenarioContext = {
    engine,
    pool,
    target,
    workflowIds,
    clients: Number(process.env.CHAOS_CLIENTS ?? 6),
    pauseMs: Number(process.env.CHAOS_PAUSE_MS ?? 120),
    beforeMs: 2_500,
    afterMs: 3_000,
    finishDeadlineMs: 60_000,
  };
  const catalog: Record<string, Scenario> = {
    baseline: { name: "no fault (baseline)" },
    worker: {
      name: "kill -9 a worker",
      inject: async () => {
        const [victim] = engine.workers();
        if (victim) await engine.killHard(victim);
        engine.startWorker();
      },
    },
    redis: { name: "restart Redis empty", inject: () => redis.restartEmpty(1_000) },
    postgres: { name: "restart PostgreSQL", inject: () => postgres.restart() },
    // Not in the default list: longer than the 5 s the database connections retry for.
    "postgres-down": { name: "PostgreSQL down 8 s", inject: () => postgres.stopFor(8_000) },
  };
  const picked = process.env.CHAOS_SCENARIOS ?? "baseline,worker,redis,postgres";
  const scenarios = (picked === "none" ? [] : picked.split(",")).map((key) => {
    const scenario = catalog[key.trim()];
    if (!scenario) throw new Error(`CHAOS_SCENARIOS: unknown scenario "${key}" (known: ${Object.keys(catalog)})`);
    return scenario;
  });
  const results: ScenarioResult[] = [];
  for (const [index, scenario] of scenarios.entries()) {
    log(`scenario ${index + 1}/${scenarios.length}: ${scenario.name}`);
    results.push(await runScenario(ctx, scenario, index + 1));
  }
  if (scenarios.length > 0) printReport(results, Date.now() - began);
  const faults = faultsOf(engine, redis, postgres);
  const flowOk = process.env.CHAOS_FLOW_CONTROL === "0" || (await flowControl(engine, pool, target, faults));
  const schedulesOk = process.env.CHAOS_SCHEDULES === "0" || (await schedules(engine, pool, target, faults));
  if (process.env.CHAOS_KEEP_LOGS === "1") {
    for (const line of engine.logs)
      process.stderr.write(`${line.process} ${line.level} ${line.msg} ${line.err ?? ""}\n`);
  }
  return results.every(passed) && flowOk && schedulesOk;
}

/** The faults flow control and schedules inject: kill -9 a worker (a replacement starts), Redis restarted empty, PostgreSQL restarted. */
function faultsOf(
  engine: Engine,
  redis: Awaited<ReturnType<typeof startPrivateRedis>>,
  postgres: Awaited<ReturnType<typeof startPrivatePostgres>>,
): FlowFaults {
  return {
    killWorker: async () => {
      const [victim] = engine.workers();
      if (victim) await engine.killHard(victim);
      engine.startWorker();
    },
    restartRedis: () => redis.restartEmpty(1_000),
    restartPostgres: () => postgres.restart(),
  };
}

/** The flow-control check (flow-control.ts), after the scenarios; prints its line. */
async function flowControl(
  engine: Engine,
  pool: ReturnType<typeof createCheckPool>,
  target: HttpTarget,
  faults: FlowFaults,
): Promise<boolean> {
  log(
    "flow control: 500 executions over 20 keys at limit 2, under kill -9, Redis restarted empty, PostgreSQL restarted",
  );
  const result = await runFlowControl(engine, pool, target, faults, log);
  const verdict = result.problems.length === 0 ? "ok" : "FAILED";
  process.stdout.write(
    `\nflow control under faults: ${verdict}: ${result.succeeded}/${result.executions} SUCCEEDED in ${seconds(result.drainMs)}; ` +
      `most running at once per key (limit ${FLOW_LIMIT}): ${result.maxAtTarget} at the target, ${result.maxRecorded} in the recorded step times\n`,
  );
  for (const problem of result.problems) process.stdout.write(`  - ${problem}\n`);
  return result.problems.length === 0;
}

/** The schedules check (schedules.ts), after flow control; prints its line. */
async function schedules(
  engine: Engine,
  pool: ReturnType<typeof createCheckPool>,
  target: HttpTarget,
  faults: FlowFaults,
): Promise<boolean> {
  log(
    `schedules: ${SCHEDULE_WORKFLOWS} every-second schedules, under kill -9, Redis restarted empty, PostgreSQL restarted`,
  );
  return printSchedules(await runSchedules(engine, pool, target, faults, log));
}

/** Until BullMQ sees `count` workers on the queue. */
async function waitForWorkers(redisUrl: string, prefix: string, count: number): Promise<void> {
  const queue = new Queue(QUEUE_NAME, { connection: { url: redisUrl }, prefix });
  try {
    await waitFor(`${count} workers`, async () => (await queue.getWorkersCount()) >= count, 60_000, 200);
  } finally {
    await queue.close();
  }
}

async function createWorkflows(baseUrl: string, targetUrl: string): Promise<Record<FlowName, string>> {
  const ids: Partial<Record<FlowName, string>> = {};
  for (const [flow, definition] of Object.entries(chaosWorkflows(targetUrl))) {
    const response = await fetch(`${baseUrl}/workflows`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(definition),
    });
    const body = (await response.json()) as { id?: string };
    if (!response.ok || !body.id) throw new Error(`creating ${flow}: HTTP ${response.status} ${JSON.stringify(body)}`);
    ids[flow as FlowName] = body.id;
  }
  return ids as Record<FlowName, string>;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

let ok = false;
try {
  ok = await main();
} catch (error) {
  log(`run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await cleanup();
}
process.exit(ok ? 0 : 1);
