/**
 * The composition root: builds every dependency from the config, by role, and
 * knows how to close them all. Entry points (server, worker, seed) and tests
 * call it; nothing else creates connections.
 */
import type { Redis } from "ioredis";
import { type Bus, createBus } from "./bus/bus.js";
import { createPrefixedRedisEventTarget } from "./bus/redis-event-target.js";
import type { Config } from "./config.js";
import { createDb, type Db } from "./db/client.js";
import { createHandlerRegistry, type HandlerRegistry } from "./engine/handlers/index.js";
import type { NodeHandler } from "./engine/handlers/types.js";
import { type Clock, systemClock } from "./engine/ports.js";
import { Reconciler } from "./engine/runner/reconciler.js";
import { StepRunner } from "./engine/runner/step-runner.js";
import { WorkflowCache } from "./engine/runner/workflow-cache.js";
import { createGotHttp } from "./http/got-http.js";
import { NetworkGuard } from "./http/network-guard.js";
import { createLogger, type Logger } from "./logger.js";
import { BullStepConsumer } from "./queue/bullmq-consumer.js";
import { BullStepQueue } from "./queue/bullmq-queue.js";
import { closeRedis, createRedis } from "./queue/redis-connections.js";
import type { ServiceDeps } from "./services/deps.js";
import { TriggerCache } from "./services/trigger-cache.js";

export interface Deps {
  config: Config;
  logger: Logger;
  db: Db;
  registry: HandlerRegistry;
  queue: BullStepQueue;
  bus: Bus;
  services: ServiceDeps;
  runner: StepRunner;
  /** Whether PostgreSQL and Redis answer (for /readyz). */
  checkReady(): Promise<{ database: boolean; redis: boolean }>;
  /** Starts consuming step jobs and reconciling; for worker processes. */
  startWorker(): Promise<void>;
  close(): Promise<void>;
}

export interface DepsOptions {
  handlers?: readonly NodeHandler[];
  clock?: Clock;
  logger?: Logger;
}

export function createDeps(config: Config, options: DepsOptions = {}): Deps {
  if (!config.DATABASE_URL || !config.REDIS_URL) {
    throw new Error("DATABASE_URL and REDIS_URL are required in production mode");
  }
  const logger = options.logger ?? createLogger(config);
  const clock = options.clock ?? systemClock;
  const db = createDb(config.DATABASE_URL, { poolSize: config.DB_POOL_SIZE });
  const registry = createHandlerRegistry(options.handlers);

  const connections: Redis[] = [];
  const redis = (role: Parameters<typeof createRedis>[1]) => {
    const connection = createRedis(config.REDIS_URL as string, role);
    connections.push(connection);
    return connection;
  };
  const producer = redis("producer");
  const queue = new BullStepQueue({
    connection: producer,
    name: config.QUEUE_NAME,
    prefix: config.QUEUE_PREFIX,
  });
  // The subscriber connects only when the first subscription needs it.
  const subscriber = createRedis(config.REDIS_URL, "subscriber", { lazyConnect: true });
  connections.push(subscriber);
  const bus = createBus(createPrefixedRedisEventTarget(redis("publisher"), subscriber, config.QUEUE_PREFIX));

  const workflows = new WorkflowCache(db, registry);
  const services: ServiceDeps = {
    db,
    registry,
    queue,
    publisher: bus,
    workflows,
    triggers: new TriggerCache(db),
    clock,
    logger,
    limits: config,
  };
  const guard = new NetworkGuard({
    allowedNetworks: config.HTTP_ALLOWED_NETWORKS,
    allowAll: config.HTTP_ALLOW_ALL_NETWORKS,
  });
  const runner = new StepRunner({
    db,
    registry,
    workflows,
    queue,
    publisher: bus,
    http: createGotHttp(guard),
    clock,
    logger,
    limits: {
      leaseMs: config.STEP_LEASE_MS,
      maxStepsPerExecution: config.MAX_STEPS_PER_EXECUTION,
      maxOutputBytes: config.MAX_STEP_OUTPUT_BYTES,
    },
  });

  let consumer: BullStepConsumer | undefined;
  let reconciler: Reconciler | undefined;

  return {
    config,
    logger,
    db,
    registry,
    queue,
    bus,
    services,
    runner,
    async checkReady() {
      const [database, redisOk] = await Promise.all([
        db.$queryRaw`SELECT 1`.then(
          () => true,
          () => false,
        ),
        producer.ping().then(
          (reply) => reply === "PONG",
          () => false,
        ),
      ]);
      return { database, redis: redisOk };
    },
    async startWorker() {
      consumer = new BullStepConsumer(runner.process, {
        connection: redis("worker"),
        name: config.QUEUE_NAME,
        prefix: config.QUEUE_PREFIX,
        concurrency: config.WORKER_CONCURRENCY,
        lockMs: config.QUEUE_LOCK_MS,
        stalledIntervalMs: config.QUEUE_STALLED_INTERVAL_MS,
        logger,
      });
      reconciler = new Reconciler({
        db,
        queue,
        logger,
        intervalMs: config.RECONCILE_INTERVAL_MS,
        graceMs: config.RECONCILE_GRACE_MS,
      });
      reconciler.start();
      await consumer.worker.waitUntilReady();
    },
    /** Stop taking jobs, let running steps finish, then close every connection. */
    async close() {
      await reconciler?.stop();
      await consumer?.close();
      await queue.close();
      await Promise.all(connections.map(closeRedis));
      await db.$disconnect();
    },
  };
}
