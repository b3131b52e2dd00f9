/** Production mode: PostgreSQL through Prisma, BullMQ on Redis, Redis pub/sub for the bus. */
import type { Redis } from "ioredis";
import { createBus } from "../bus/bus.js";
import { createPrefixedRedisEventTarget } from "../bus/redis-event-target.js";
import type { Config } from "../config.js";
import { createDatabase } from "../db/database.js";
import { databaseReadiness } from "../db/readiness.js";
import type { Logger } from "../logger.js";
import { BullStepConsumer } from "../queue/bullmq-consumer.js";
import { BullStepQueue } from "../queue/bullmq-queue.js";
import { closeRedis, createRedis, type RedisRole, throttled, watchRedis } from "../redis/connections.js";
import type { Infrastructure } from "./types.js";

export function productionInfrastructure(config: Config, logger: Logger): Infrastructure {
  const databaseUrl = config.DATABASE_URL as string;
  const redisUrl = config.REDIS_URL as string;
  const database = createDatabase(databaseUrl, {
    poolSize: config.DB_POOL_SIZE,
    // Only the message and code: pg's error carries its whole client object.
    onPoolError: (error: Error & { code?: string }) =>
      logger.warn(
        { error: error.message, code: error.code },
        "an idle database connection failed; it will be replaced",
      ),
  });
  const { db, sql } = database;
  const connections: Redis[] = [];
  const redis = (role: RedisRole, lazy = false) => {
    const connection = createRedis(redisUrl, role, lazy ? { lazyConnect: true } : {});
    watchRedis(connection, role, logger);
    connections.push(connection);
    return connection;
  };
  const producer = redis("producer");
  const queue = new BullStepQueue({
    connection: producer,
    name: config.QUEUE_NAME,
    prefix: config.QUEUE_PREFIX,
    logger,
  });
  // The subscriber connects only when the first subscription needs it. Publishes that fail
  // while Redis is down are only logged (throttled): subscribers catch up by seq.
  const onPublishError = throttled(10_000, (error, skipped) =>
    logger.warn({ err: error, skipped }, "publishing an update failed (Redis down?)"),
  );
  const onSubscribeError = throttled(10_000, (error, skipped) =>
    logger.warn({ err: error, skipped }, "subscribing to updates failed (Redis down?); retried on reconnect"),
  );
  const bus = createBus(
    createPrefixedRedisEventTarget(
      redis("publisher"),
      redis("subscriber", true),
      config.QUEUE_PREFIX,
      onPublishError,
      onSubscribeError,
    ),
  );

  return {
    db,
    sql,
    queue,
    bus,
    async startConsumer(processor) {
      const consumer = new BullStepConsumer(processor, {
        connection: redis("worker"),
        name: config.QUEUE_NAME,
        prefix: config.QUEUE_PREFIX,
        concurrency: config.WORKER_CONCURRENCY,
        lockMs: config.QUEUE_LOCK_MS,
        stalledIntervalMs: config.QUEUE_STALLED_INTERVAL_MS,
        logger,
      });
      await consumer.worker.waitUntilReady();
      return consumer;
    },
    async checkReady() {
      const [database, redisOk] = await Promise.all([
        databaseReadiness(db),
        producer.ping().then(
          (reply) => reply === "PONG",
          () => false,
        ),
      ]);
      return { ...database, redis: redisOk };
    },
    async close() {
      await queue.close();
      await Promise.all(connections.map(closeRedis));
      await database.close();
    },
  };
}
