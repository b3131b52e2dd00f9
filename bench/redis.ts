/**
 * A Redis key prefix of the bench's own (QUEUE_PREFIX for the engine, and the
 * bare BullMQ queue), and the cleanup that removes every key under it.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { onCleanup } from "./cleanup.js";

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
