import { afterAll, describe, expect, it } from "vitest";
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
