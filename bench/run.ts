/**
 * `npm run bench`: measures the engine, beside the limits of what it stands
 * on, against the real PostgreSQL and Redis (DATABASE_URL, REDIS_URL), with
 * the server and the workers as separate processes. Prints a table and writes
 * bench/results.json. `npm run bench -- --help` lists the options.
 *
 * Every run works in a fresh database and under a fresh Redis prefix, and
 * removes them, and stops the processes it started, however it ends.
 */
import os from "node:os";
import { EngineApi } from "./api.js";
import { measureChain } from "./chain.js";
import { cleanUp, cleanUpOnSignals, onCleanup } from "./cleanup.js";
import type { BenchContext, EngineContext } from "./context.js";
import { createBenchDatabase } from "./database.js";
import { measureDelays } from "./delays.js";
import { measureFlowControl } from "./flow-control.js";
import { measureForEach } from "./for-each.js";
import { HttpTarget } from "./http-target.js";
import { measureLeadRouting } from "./lead-routing.js";
import { measureLimits } from "./limits.js";
import { measureLive } from "./live.js";
import { peakMemory, recordPeakMemory } from "./memory.js";
import { type BenchOptions, parseOptions, type Section, USAGE } from "./options.js";
import { buildEngine, type EngineFleet, startFleet } from "./processes.js";
import { clearProgress, elapsedSeconds, progress } from "./progress.js";
import { measurePruning } from "./pruning.js";
import { benchPrefix, checkRedis, removeKeysAtCleanup } from "./redis.js";
import { Report } from "./report.js";
import { measureSchedules } from "./schedules.js";
import { measureSearch } from "./search.js";
import { measureTriggers } from "./triggers.js";
import { measureWaits } from "./waits.js";
import { CompletionWatcher } from "./watcher.js";

const QUEUE_NAME = "workflow-steps";
/** The measurements that need the engine running. */
const ENGINE_SECTIONS: readonly Section[] = [
  "chain",
  "lead-routing",
  "live",
  "delays",
  "waits",
  "flow-control",
  "for-each",
  "schedules",
  "pruning",
  "search",
];

function readOptions(): BenchOptions {
  try {
    const options = parseOptions(process.argv.slice(2));
    if (options) return options;
    console.log(USAGE);
    process.exit(0);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exit(2);
  }
}

const options = readOptions();
const databaseServer = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
if (!databaseServer || !redisUrl) {
  console.error(`npm run bench needs DATABASE_URL and REDIS_URL.\n\n${USAGE}`);
  process.exit(2);
}
const wants = (section: Section) => options.only.includes(section);

cleanUpOnSignals();
const report = new Report();
const startedAt = new Date();
let failure: unknown;
let fleet: EngineFleet | undefined;
try {
  progress("creating a fresh database");
  await checkRedis(redisUrl);
  const database = await createBenchDatabase(databaseServer);
  const queuePrefix = benchPrefix();
  removeKeysAtCleanup(redisUrl, queuePrefix);
  const ctx: BenchContext = { options, report, database, redisUrl, queuePrefix };

  if (wants("limits")) await measureLimits(ctx);
  if (ENGINE_SECTIONS.some(wants)) {
    const engine = await startEngine(ctx);
    fleet = engine.fleet;
    if (wants("chain")) await measureChain(engine);
    if (wants("lead-routing")) await measureLeadRouting(engine);
    const beforeLive = wants("live") ? peakMemory(engine) : undefined;
    if (wants("live")) await measureLive(engine);
    if (wants("triggers")) await measureTriggers(ctx);
    if (wants("delays")) await measureDelays(engine);
    if (wants("waits")) await measureWaits(engine);
    if (wants("flow-control")) await measureFlowControl(engine);
    if (wants("for-each")) await measureForEach(engine);
    if (wants("schedules")) await measureSchedules(engine);
    if (wants("pruning")) await measurePruning(engine);
    // Last: its million generated executions stay in the bench's database until it is dropped.
    if (wants("search")) await measureSearch(engine);
    recordPeakMemory(engine, beforeLive);
  } else if (wants("triggers")) {
    await measureTriggers(ctx);
  }
} catch (error) {
  failure = error;
  clearProgress();
  for (const p of fleet?.all ?? []) {
    const output = p.recentOutput().trim();
    if (output) console.error(`--- the ${p.label}'s last output:\n${output.slice(-3000)}\n---`);
  }
} finally {
  progress("cleaning up (processes, queues, database)");
  await cleanUp();
  clearProgress();
}

console.log(report.table());
const elapsed = elapsedSeconds();
report.write(options.out, {
  startedAt: startedAt.toISOString(),
  elapsedSeconds: Math.round(elapsed),
  ...(failure === undefined ? {} : { error: String(failure) }),
  options,
  machine: {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    memoryMiB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  },
});
console.log(`\n${Math.round(elapsed)} s; written to ${options.out}`);
if (failure !== undefined) {
  console.error(`\nbench failed: ${failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)}`);
  process.exit(1);
}
process.exit(0);

/** The HTTP target, the server and the workers, and the watcher that tells when executions finish. */
async function startEngine(ctx: BenchContext): Promise<EngineContext> {
  progress("building the engine (tsc → dist/)");
  await buildEngine();
  const target = await new HttpTarget().start();
  const { workers, concurrency } = ctx.options;
  progress(`starting the server and ${workers} worker${workers === 1 ? "" : "s"}`);
  const fleet = await startFleet({
    workers,
    redisUrl: ctx.redisUrl,
    queueName: QUEUE_NAME,
    queuePrefix: ctx.queuePrefix,
    env: {
      DATABASE_URL: ctx.database.url,
      REDIS_URL: ctx.redisUrl,
      QUEUE_NAME,
      QUEUE_PREFIX: ctx.queuePrefix,
      LOG_LEVEL: "warn",
      LOG_FORMAT: "json",
      HTTP_ALLOWED_NETWORKS: "127.0.0.0/8,::1/128",
      // No retention pass in the fleet: the search section's generated rows stay, and the pruning section runs its own.
      RETENTION_SUCCEEDED_DAYS: "0",
      RETENTION_FAILED_DAYS: "0",
      RETENTION_EVENTS_DAYS: "0",
      RETENTION_CHANGE_LOG_DAYS: "0",
    },
    workerEnv: { WORKER_CONCURRENCY: String(concurrency), DB_POOL_SIZE: String(concurrency) },
  });
  ctx.report.note(
    `engine (compiled, node dist/*.js): 1 server (DB_POOL_SIZE 10) and ${workers} worker process${workers === 1 ? "" : "es"} ` +
      `(WORKER_CONCURRENCY ${concurrency}, DB_POOL_SIZE ${concurrency}); ${os.cpus().length} CPUs shared with PostgreSQL, Redis and the bench`,
  );
  const watcher = new CompletionWatcher(ctx.database.pool);
  watcher.start();
  onCleanup("stop watching executions", () => watcher.stop());
  const api = new EngineApi(fleet.serverUrl);
  onCleanup("close the API client's connections", () => api.close());
  return { ...ctx, fleet, api, target, watcher };
}
