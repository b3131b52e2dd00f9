/**
 * Redis for tests: the machines' real server, with a unique name per test so
 * queues and keys of concurrent test files never meet.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { TEST_REDIS_URL } from "./env.js";

/** A name no other test uses, safe as a BullMQ queue name or key prefix (no ":"). */
export function uniqueName(label: string): string {
  return `wft-${label}-${randomBytes(5).toString("hex")}`;
}

export function createTestRedis(): Redis {
  return new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 3, lazyConnect: false });
}

/** Deletes every key under a prefix (SCAN, never KEYS, so a busy server is not blocked). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== "0");
  return deleted;
}

/** Waits until Redis has a subscriber on every bus topic (channel `${prefix}:bus:${topic}`). */
export async function waitForBusSubscribers(prefix: string, topics: string[], timeoutMs = 10_000): Promise<void> {
  const channels = topics.map((topic) => `${prefix}:bus:${topic}`);
  const redis = createTestRedis();
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const counts = (await redis.pubsub("NUMSUB", ...channels)) as (string | number)[];
      if (channels.every((_, i) => Number(counts[i * 2 + 1]) > 0)) return;
      if (Date.now() > deadline) throw new Error(`no subscriber on ${channels.join(", ")} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await redis.quit();
  }
}
