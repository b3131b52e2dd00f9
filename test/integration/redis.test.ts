import { afterAll, describe, expect, it } from "vitest";
import { createPrefixedRedisEventTarget } from "../../src/bus/redis-event-target.js";
import { BullStepQueue } from "../../src/queue/bullmq-queue.js";
import { createRedis } from "../../src/redis/connections.js";
import { waitUntil } from "../support/engine.js";
import { createTestRedis, deleteKeys, uniqueName } from "../support/redis.js";

const redis = createTestRedis();
afterAll(async () => {
  await redis.quit();
});

describe("the real Redis, with unique names per test", () => {
  it("hands out names that never repeat and are safe as BullMQ queue names", () => {
    const names = new Set(Array.from({ length: 1000 }, () => uniqueName("steps")));
    expect(names.size).toBe(1000);
    for (const name of names) expect(name).not.toContain(":");
  });

  it("deletes only the keys under a test's own prefix", async () => {
    const mine = uniqueName("mine");
    const theirs = uniqueName("theirs");
    await redis.mset(`${mine}:a`, "1", `${mine}:b`, "2", `${theirs}:a`, "3");
    expect(await deleteKeys(redis, mine)).toBe(2);
    expect(await redis.get(`${theirs}:a`)).toBe("3");
    await deleteKeys(redis, theirs);
  });
});

describe("the bus's Redis event target", () => {
  it("reports a SUBSCRIBE that fails instead of leaving it to reject unhandled (which ends the process)", async () => {
    const publisher = createRedis(process.env.REDIS_URL as string, "publisher");
    const subscriber = createRedis(process.env.REDIS_URL as string, "subscriber", { lazyConnect: true });
    subscriber.disconnect(); // closed for good: every command now fails
    const failures: unknown[] = [];
    const target = createPrefixedRedisEventTarget(publisher, subscriber, uniqueName("bus"), undefined, (error) =>
      failures.push(error),
    );
    try {
      const listener = () => {};
      target.addEventListener("executionUpdated:e1", listener);
      await waitUntil(async () => failures.length > 0, "the failed SUBSCRIBE to be reported");
      target.removeEventListener("executionUpdated:e1", listener);
      await waitUntil(async () => failures.length > 1, "the failed UNSUBSCRIBE to be reported");
      expect(String(failures[0])).toMatch(/closed/i);
    } finally {
      await publisher.quit();
    }
  });
});

describe("the BullMQ step queue", () => {
  it("enqueues a lone job and a batch alike: one job per step run, delayed when it has a time", async () => {
    const prefix = uniqueName("wf");
    const connection = createRedis(process.env.REDIS_URL as string, "producer");
    const queue = new BullStepQueue({ connection, name: uniqueName("steps"), prefix });
    try {
      const job = (stepId: string, runAt?: Date) => ({ stepId, executionId: "e1", generation: "1", runAt });
      // A lone job goes through add(), a batch through addBulk(): the same job ids either way.
      await queue.enqueue([job("a")]);
      await queue.enqueue([job("a")]);
      await queue.enqueue([job("b"), job("c", new Date(Date.now() + 60_000)), job("a")]);
      expect(await queue.hasJob("a-1")).toBe(true);
      expect(await queue.hasJob("b-1")).toBe(true);
      expect(await queue.queue.getJobCounts("waiting", "delayed")).toEqual({ waiting: 2, delayed: 1 });
      expect((await queue.queue.getJob("a-1"))?.data).toEqual({ stepId: "a", executionId: "e1", generation: "1" });
    } finally {
      await queue.queue.obliterate({ force: true });
      await queue.close();
      await connection.quit();
      await deleteKeys(redis, prefix);
    }
  });
});
