/**
 * `npm run bench` (first cut): measures the engine beside the limits of the
 * parts it stands on, on the real PostgreSQL and Redis (DATABASE_URL and
 * REDIS_URL name the servers; a fresh database is created and dropped).
 * Prints a table and writes bench/results.json. `--quick` for a short run.
 *
 * Measured so far: bare BullMQ no-op jobs/s, single-row PostgreSQL transactions/s
 * through Prisma, engine steps/s on a 10-node chain, trigger matching time.
 * Not yet (issue 7): separate server/worker processes, Lead routing via
 * POST /events at 1/10/50 clients, latency percentiles, subscription delivery,
 * delay accuracy, peak RSS.
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { Queue, Worker } from "bullmq";
import pg from "pg";
import { loadConfig } from "../src/config.js";
import { createDeps } from "../src/deps.js";
import { TriggerIndex } from "../src/engine/triggers.js";
import { createRedis } from "../src/queue/redis-connections.js";
import { startExecution } from "../src/services/executions.js";
import { createWorkflow } from "../src/services/workflows.js";
import { applyMigrations } from "../test/support/migrations.js";

const quick = process.argv.includes("--quick");
const RUNS = quick ? 1 : 3;
const databaseServer = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
if (!databaseServer || !redisUrl) {
  console.error("npm run bench needs DATABASE_URL (any database on the server to use) and REDIS_URL");
  process.exit(2);
}

interface Figure {
  name: string;
  unit: string;
  median: number;
  min: number;
  max: number;
}
const figures: Figure[] = [];

function progress(message: string) {
  process.stderr.write(`\r\x1b[K… ${message}`);
}

async function measure(name: string, unit: string, once: () => Promise<number>) {
  const values: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    progress(`${name} (run ${i + 1}/${RUNS})`);
    values.push(await once());
  }
  values.sort((a, b) => a - b);
  figures.push({
    name,
    unit,
    median: values[Math.floor(values.length / 2)] as number,
    min: values[0] as number,
    max: values.at(-1) as number,
  });
}

function withDatabase(base: string, name: string) {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

const dbName = `bench_${randomBytes(4).toString("hex")}`;
const admin = new pg.Client({ connectionString: databaseServer });
await admin.connect();
await admin.query(`CREATE DATABASE "${dbName}"`);
const databaseUrl = withDatabase(databaseServer, dbName);
await applyMigrations(databaseUrl);

try {
  const concurrency = 16;

  await measure("BullMQ no-op jobs (limit)", "jobs/s", async () => {
    const name = `bench-noop-${randomBytes(3).toString("hex")}`;
    const total = quick ? 2000 : 5000;
    const producer = createRedis(redisUrl, "producer");
    const workerConnection = createRedis(redisUrl, "worker");
    const queue = new Queue(name, { connection: producer, prefix: "bench" });
    let done = 0;
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const worker = new Worker(name, async () => {}, { connection: workerConnection, prefix: "bench", concurrency });
    worker.on("completed", () => {
      if (++done === total) finish();
    });
    await worker.waitUntilReady();
    const started = performance.now();
    for (let i = 0; i < total; i += 500) {
      await queue.addBulk(
        Array.from({ length: Math.min(500, total - i) }, (_, j) => ({
          name: "noop",
          data: { i: i + j },
          opts: { removeOnComplete: true },
        })),
      );
    }
    await finished;
    const rate = total / ((performance.now() - started) / 1000);
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    producer.disconnect();
    workerConnection.disconnect();
    return rate;
  });

  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    LOG_LEVEL: "warn",
    LOG_FORMAT: "json",
    QUEUE_PREFIX: `bench${randomBytes(3).toString("hex")}`,
    WORKER_CONCURRENCY: String(concurrency),
    DB_POOL_SIZE: "16",
  });
  const deps = await createDeps(config);
  try {
    await measure("PostgreSQL single-row transactions via Prisma, 8 clients (limit)", "tx/s", async () => {
      const seconds = quick ? 2 : 4;
      const deadline = performance.now() + seconds * 1000;
      let count = 0;
      await Promise.all(
        Array.from({ length: 8 }, async (_, client) => {
          while (performance.now() < deadline) {
            await deps.db.$transaction([
              deps.db
                .$executeRaw`INSERT INTO "Revision" (key, value) VALUES (${`bench-${client}`}, 1) ON CONFLICT (key) DO UPDATE SET value = "Revision".value + 1`,
            ]);
            count++;
          }
        }),
      );
      return count / seconds;
    });

    await deps.startWorker();
    const chain = Array.from({ length: 10 }, (_, i) => `n${i + 1}`);
    const workflow = await createWorkflow(deps.services, {
      name: "bench chain",
      graph: {
        nodes: [
          { id: "start", type: "start" },
          ...chain.map((id) => ({ id, type: "send_notification", data: { toRole: "bench", message: id } })),
        ],
        edges: ["start", ...chain].slice(0, -1).map((source, i) => ({ source, target: chain[i] as string })),
      },
    });
    await measure("engine steps on a 10-node send_notification chain", "steps/s", async () => {
      const executions = quick ? 50 : 200;
      const started = performance.now();
      const ids = await Promise.all(
        Array.from({ length: executions }, () => startExecution(deps.services, workflow.id, {}).then((e) => e.id)),
      );
      for (;;) {
        const open = await deps.db.execution.count({
          where: { id: { in: ids }, status: { in: ["PENDING", "RUNNING"] } },
        });
        if (open === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return (executions * 11) / ((performance.now() - started) / 1000);
    });
  } finally {
    await deps.close();
  }

  for (const count of [100, 1_000, 10_000]) {
    await measure(`trigger matching against ${count} active workflows`, "ms/event", async () => {
      const index = new TriggerIndex();
      index.reset(
        Array.from({ length: count }, (_, i) => ({
          workflowId: `w${i}`,
          version: 1,
          trigger: {
            and: [{ "==": [{ var: "lead.source" }, `source-${i % 50}`] }, { ">": [{ var: "lead.score" }, i % 100] }],
          },
        })),
      );
      const events = 200;
      const started = performance.now();
      for (let e = 0; e < events; e++) index.match({ lead: { source: `source-${e % 50}`, score: 90 } });
      return (performance.now() - started) / events;
    });
  }
} finally {
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.end();
}

process.stderr.write("\r\x1b[K");
const width = Math.max(...figures.map((f) => f.name.length));
console.log(`${"figure".padEnd(width)}  ${"median".padStart(10)}  ${"min".padStart(10)}  ${"max".padStart(10)}  unit`);
for (const f of figures) {
  const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(3)).padStart(10);
  console.log(`${f.name.padEnd(width)}  ${fmt(f.median)}  ${fmt(f.min)}  ${fmt(f.max)}  ${f.unit}`);
}
writeFileSync(
  new URL("results.json", import.meta.url),
  `${JSON.stringify({ at: new Date().toISOString(), quick, runs: RUNS, figures }, null, 2)}\n`,
);
console.log("\nwritten to bench/results.json");
process.exit(0);
