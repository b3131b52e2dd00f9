/**
 * AsyncQueue is what every live subscriber reads: order, immediate ending and
 * a bound on how far a reader may fall behind are what users would notice.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { AsyncQueue, QueueOverflowError } from "../../src/bus/async-queue.js";
import { createErrorMasker } from "../../src/graphql/errors.js";

describe("AsyncQueue", () => {
  it("hands items over in order, whether pushed before or while the reader waits", async () => {
    const queue = new AsyncQueue<number>();
    queue.push(1);
    queue.push(2);
    const waiting = [queue.next(), queue.next(), queue.next()];
    queue.push(3);
    expect((await Promise.all(waiting)).map((r) => r.value)).toEqual([1, 2, 3]);
    queue.push(4);
    queue.end();
    expect(await queue.next()).toEqual({ done: false, value: 4 });
    expect(await queue.next()).toEqual({ done: true, value: undefined });
  });

  it("ends a pending next() at once on return(), and cleans up exactly once", async () => {
    let cleanups = 0;
    const queue = new AsyncQueue<string>(() => cleanups++);
    const pending = queue.next();
    await queue.return();
    expect(await pending).toEqual({ done: true, value: undefined });
    queue.push("late");
    queue.end(new Error("after the end"));
    await queue.return();
    expect(await queue.next()).toEqual({ done: true, value: undefined });
    expect(cleanups).toBe(1);
  });

  it("delivers what was queued before an error, then the error, once", async () => {
    const queue = new AsyncQueue<number>();
    queue.push(1);
    queue.end(new Error("source failed"));
    expect(await queue.next()).toEqual({ done: false, value: 1 });
    await expect(queue.next()).rejects.toThrow("source failed");
    expect(await queue.next()).toEqual({ done: true, value: undefined });
  });

  it("fails a reader that falls more than its limit behind, instead of holding everything", async () => {
    let cleanups = 0;
    const queue = new AsyncQueue<number>(() => cleanups++, 3);
    for (let i = 1; i <= 5; i++) queue.push(i);
    expect(cleanups).toBe(1);
    const read = [await queue.next(), await queue.next(), await queue.next()].map((r) => r.value);
    expect(read).toEqual([1, 2, 3]);
    await expect(queue.next()).rejects.toBeInstanceOf(QueueOverflowError);
  });

  it("tells a GraphQL client that fell behind what happened, instead of a masked error", () => {
    const masked = createErrorMasker(pino({ level: "silent" }))(new QueueOverflowError(10_000));
    expect(masked.message).toMatch(/fell more than 10000 changes behind.*subscribe again/);
    expect((masked as unknown as { extensions: unknown }).extensions).toEqual({ code: "SUBSCRIBER_TOO_SLOW" });
  });
});
