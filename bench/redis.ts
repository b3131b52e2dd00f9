/**
 * A Redis key prefix of the bench's own (QUEUE_PREFIX for the engine, and the
 * bare BullMQ queue), and the cleanup that removes every key under it.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { onCleanup } from "./cleanup.js";

/** Fails fast, with the reason, when Redis does not answer (BullMQ would otherwise retry forever). */
export async function checkRedis(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let reason: string | undefined;
  redis.on("error", (error: Error) => {
    reason = error.message; // the cause (ECONNREFUSED …); connect() only says the connection closed
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`REDIS_URL ${redisUrl}: ${reason ?? (error instanceof Error ? error.message : String(error))}`);
  } finally {
    redis.disconnect();
  }
}

export function benchPrefix(): string {
  return `bench${randomBytes(4).toString("hex")}`;
}

/** Deletes `<prefix>:*` at the end (BullMQ queues, including delayed and completed jobs). */
export function removeKeysAtCleanup(redisUrl: string, prefix: string): void {
  onCleanup(`delete Redis keys ${prefix}:*`, async () => {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
    try {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== "0");
    } finally {
      redis.disconnect();
    }
  });
}
