/**
 * Redis connections by role. BullMQ workers block on Redis and need
 * `maxRetriesPerRequest: null`; producers should fail fast instead of queueing
 * commands forever while Redis is down; the pub/sub subscriber is a connection
 * in subscriber mode and can do nothing else, so it is never shared.
 */
import { Redis, type RedisOptions } from "ioredis";

export type RedisRole = "producer" | "worker" | "publisher" | "subscriber";

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  producer: { maxRetriesPerRequest: 2, enableOfflineQueue: true },
  worker: { maxRetriesPerRequest: null },
  publisher: { maxRetriesPerRequest: 2 },
  subscriber: { maxRetriesPerRequest: null },
};

export function createRedis(url: string, role: RedisRole, extra: RedisOptions = {}): Redis {
  return new Redis(url, { ...ROLE_OPTIONS[role], connectionName: `workflow-engine:${role}`, ...extra });
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
