/**
 * Redis connections by role, for the queue (src/queue) and the bus (src/bus) alike. BullMQ workers block on Redis and need
 * `maxRetriesPerRequest: null`; producers should fail fast instead of queueing
 * commands forever while Redis is down; the pub/sub subscriber is a connection
 * in subscriber mode and can do nothing else, so it is never shared.
 */
import { Redis, type RedisOptions } from "ioredis";
import type { EngineLogger } from "../engine/index.js";

export type RedisRole = "producer" | "worker" | "publisher" | "subscriber";

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  producer: { maxRetriesPerRequest: 2, enableOfflineQueue: true },
  worker: { maxRetriesPerRequest: null },
  // Several changes are published per step: auto-pipelining sends them in one write.
  publisher: { maxRetriesPerRequest: 2, enableAutoPipelining: true },
  // No ready check: its INFO could reach ioredis after a SUBSCRIBE had put the connection in
  // subscriber mode, which rejected it and crashed the server (1,000 subscriptions opened at once).
  subscriber: { maxRetriesPerRequest: null, enableReadyCheck: false },
};

export function createRedis(url: string, role: RedisRole, extra: RedisOptions = {}): Redis {
  return new Redis(url, { ...ROLE_OPTIONS[role], connectionName: `workflow-engine:${role}`, ...extra });
}

/**
 * Logs a connection's outages once each (lost, then back) instead of once per
 * reconnect attempt. Without an 'error' listener ioredis prints every failed
 * attempt to stderr as an "Unhandled error event" (found by `npm run chaos`).
 */
export function watchRedis(redis: Redis, role: RedisRole, logger: EngineLogger): void {
  let down = false;
  redis.on("error", (error: Error) => {
    if (down) return;
    down = true;
    logger.warn({ role, err: error }, "redis connection lost; reconnecting");
  });
  redis.on("ready", () => {
    if (!down) return;
    down = false;
    logger.warn({ role }, "redis connection back");
  });
}

/** Calls `log` at most once per `everyMs`, with how many calls it skipped. */
export function throttled(everyMs: number, log: (error: unknown, skipped: number) => void): (error: unknown) => void {
  let last = 0;
  let skipped = 0;
  return (error) => {
    const now = Date.now();
    if (now - last < everyMs) {
      skipped += 1;
      return;
    }
    log(error, skipped);
    last = now;
    skipped = 0;
  };
}

/** Closes a connection, falling back to a hard disconnect if Redis is unreachable. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === "end") return;
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
