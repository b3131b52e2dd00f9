/**
 * A real engine for tests: the production composition root on this file's
 * private database, the real Redis, and a queue name and key prefix no other
 * test uses. Loopback HTTP is allowed so flows can call a local test server.
 */
import { type Config, loadConfig } from "../../src/config.js";
import type { Db } from "../../src/db/client.js";
import { createDeps, type Deps } from "../../src/deps.js";
import type { NodeHandler } from "../../src/engine/handlers/types.js";
import type { Clock } from "../../src/engine/index.js";
import type { ExecutionStatus } from "../../src/generated/prisma/enums.js";
import { createLogger, type Logger } from "../../src/logger.js";
import { TEST_ENGINE, TEST_REDIS_URL } from "./env.js";
import { createTestRedis, deleteKeys, uniqueName } from "./redis.js";

/** The environment of a test engine (also handed to worker processes a test spawns). */
export function testEnv(databaseUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_NAME: uniqueName("steps"),
    QUEUE_PREFIX: uniqueName("wf"),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    WORKER_CONCURRENCY: "8",
    DB_POOL_SIZE: "8",
    HTTP_ALLOWED_NETWORKS: "127.0.0.0/8,::1/128",
    RECONCILE_INTERVAL_MS: "500",
    RECONCILE_GRACE_MS: "1000",
    STEP_LEASE_MS: "5000",
    QUEUE_LOCK_MS: "2000",
    QUEUE_STALLED_INTERVAL_MS: "1000",
    ...overrides,
  };
}

export function testConfig(databaseUrl: string, overrides: Record<string, string> = {}): Config {
  if (TEST_ENGINE === "embedded") {
    // No DATABASE_URL/REDIS_URL: embedded mode, on an in-memory PGlite of its own.
    const { DATABASE_URL: _db, REDIS_URL: _redis, ...env } = testEnv(databaseUrl, overrides);
    return loadConfig({ ...env, DATA_DIR: "memory://", LOG_FORMAT: "json" });
  }
  return loadConfig(testEnv(databaseUrl, overrides));
}

export interface TestEngine extends Deps {
  /** Closes everything and deletes the test's Redis keys. */
  stop(): Promise<void>;
}

export async function startTestEngine(
  databaseUrl: string,
  options: {
    worker?: boolean;
    config?: Config;
    overrides?: Record<string, string>;
    logger?: Logger;
    /** Node types instead of the built-in ones (a test's own handlers beside them). */
    handlers?: readonly NodeHandler[];
    /** The engine's clock (schedules read it): a test moves time without waiting for it. */
    clock?: Clock;
  } = {},
): Promise<TestEngine> {
  const config = options.config ?? testConfig(databaseUrl, options.overrides);
  const deps = await createDeps(config, { logger: options.logger, handlers: options.handlers, clock: options.clock });
  if (options.worker !== false) await deps.startWorker();
  return Object.assign(deps, {
    async stop() {
      await deps.close();
      if (config.MODE === "embedded") return;
      const redis = createTestRedis();
      await deleteKeys(redis, config.QUEUE_PREFIX);
      await redis.quit();
    },
  });
}

const FINISHED: ExecutionStatus[] = ["SUCCEEDED", "FAILED", "CANCELLED", "SKIPPED"];

/** Polls the database until the execution reaches one of `statuses` (default: any final one) or the deadline passes. */
export async function waitForExecution(
  db: Db,
  executionId: string,
  statuses: ExecutionStatus[] = FINISHED,
  timeoutMs = 20_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const execution = await db.execution.findUniqueOrThrow({ where: { id: executionId }, include: { steps: true } });
    if (statuses.includes(execution.status)) return execution;
    if (Date.now() > deadline) {
      const steps = execution.steps.map((s) => `${s.nodeId}=${s.status}`).join(", ");
      throw new Error(`execution ${executionId} is ${execution.status} after ${timeoutMs} ms (steps: ${steps})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Polls until a step of the node reaches the status. */
export async function waitForStep(db: Db, executionId: string, nodeId: string, status: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const step = await db.step.findUnique({ where: { executionId_nodeId: { executionId, nodeId } } });
    if (step?.status === status) return step;
    if (Date.now() > deadline)
      throw new Error(`step ${nodeId} of ${executionId} is ${step?.status ?? "absent"}, not ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export function stepsByNode<T extends { nodeId: string }>(steps: T[]): Record<string, T> {
  return Object.fromEntries(steps.map((s) => [s.nodeId, s]));
}

/** Polls `check` until it returns true or the deadline passes. */
export async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A logger whose JSON lines land in `lines`, for asserting what was logged. */
export function capturingLogger(lines: string[]): Logger {
  return createLogger({ LOG_LEVEL: "debug" }, "test", { write: (line: string) => void lines.push(line) });
}
