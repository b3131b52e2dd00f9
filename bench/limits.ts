/**
 * The limits of what the engine stands on, measured in the same run and on the
 * same machine: how many no-op jobs bare BullMQ moves per second with the
 * engine's worker concurrency, and how many single-row transactions per second
 * PostgreSQL takes through Prisma. An engine step needs a few of each, so
 * these bound what the engine can reach.
 */
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { createDb } from "../src/db/client.js";
import { type BenchContext, repeat } from "./context.js";

const SECTION = "Limits (bench process, no engine)";

export async function measureLimits(ctx: BenchContext): Promise<void> {
  const { workers, concurrency, durationMs } = ctx.options;
  // 1,000 jobs per second of --duration.
  const jobs = Math.max(1000, Math.round(durationMs));
  const bullmq = await repeat(ctx, "limits: bare BullMQ no-op jobs", () => bullmqNoopRate(ctx, jobs));
  ctx.report.value(
    SECTION,
    `bare BullMQ no-op jobs (${workers} Worker${workers === 1 ? "" : "s"} × concurrency ${concurrency}, ${jobs} jobs)`,
    "jobs/s",
    bullmq,
  );

  // As many clients as a worker runs steps at once, for half of --duration.
  const clients = concurrency;
  const seconds = Math.max(1, durationMs / 2000);
  const prisma = await repeat(ctx, "limits: PostgreSQL transactions through Prisma", () =>
    prismaTransactionRate(ctx, clients, seconds),
  );
  ctx.report.value(SECTION, `PostgreSQL single-row transactions via Prisma (${clients} clients)`, "tx/s", prisma);
}

/** Adds `total` jobs in batches of 500 and times until `workers` workers have completed them all. */
async function bullmqNoopRate(ctx: BenchContext, total: number): Promise<number> {
  const name = `noop-${Math.random().toString(36).slice(2, 8)}`;
  const prefix = ctx.queuePrefix;
  const producer = new Redis(ctx.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection: producer, prefix });
  const consumers = Array.from({ length: ctx.options.workers }, () => {
    const connection = new Redis(ctx.redisUrl, { maxRetriesPerRequest: null });
    const worker = new Worker(name, async () => {}, { connection, prefix, concurrency: ctx.options.concurrency });
    return { connection, worker };
  });
  try {
    let done = 0;
    const allDone = new Promise<void>((resolve) => {
      for (const { worker } of consumers) {
        worker.on("completed", () => {
          if (++done === total) resolve();
        });
      }
    });
    await Promise.all(consumers.map((c) => c.worker.waitUntilReady()));
    const started = performance.now();
    for (let i = 0; i < total; i += 500) {
      const batch = Array.from({ length: Math.min(500, total - i) }, (_, j) => ({
        name: "noop",
        data: { i: i + j },
        opts: { removeOnComplete: true },
      }));
      await queue.addBulk(batch);
    }
    await allDone;
    return total / ((performance.now() - started) / 1000);
  } finally {
    await Promise.all(consumers.map((c) => c.worker.close()));
    await queue.obliterate({ force: true });
    await queue.close();
    for (const c of consumers) c.connection.disconnect();
    producer.disconnect();
  }
}

/** `clients` loops, each committing one-row upserts (BEGIN; INSERT … ON CONFLICT UPDATE; COMMIT) for `seconds`. */
async function prismaTransactionRate(ctx: BenchContext, clients: number, seconds: number): Promise<number> {
  const db = createDb(ctx.database.url, { poolSize: clients });
  try {
    await db.$queryRaw`SELECT 1`;
    const deadline = performance.now() + seconds * 1000;
    let count = 0;
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        const key = `bench-${client}`;
        while (performance.now() < deadline) {
          await db.$transaction([
            db.$executeRaw`INSERT INTO "Revision" (key, value) VALUES (${key}, 1)
                           ON CONFLICT (key) DO UPDATE SET value = "Revision".value + 1`,
          ]);
          count++;
        }
      }),
    );
    return count / seconds;
  } finally {
    await db.$disconnect();
  }
}
