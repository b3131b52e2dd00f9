/**
 * StatementBatcher: which requests travel together in one statement. The
 * statements themselves run against PostgreSQL in test/flows/batched-statements.test.ts.
 */
import { describe, expect, it } from "vitest";
import { StatementBatcher } from "../../src/engine/store/statement-batcher.js";

interface Item {
  n: number;
  executionId: string;
}

/** A runner whose statements the test ends by hand, recording what each carried. */
class HeldRunner {
  readonly batches: number[][] = [];
  private readonly releases: ((fail?: number) => void)[] = [];

  readonly run = (items: readonly Item[]): Promise<string[]> => {
    this.batches.push(items.map((i) => i.n));
    return new Promise((resolve, reject) => {
      this.releases.push((fail) =>
        items.some((i) => i.n === fail)
          ? reject(new Error(`item ${fail} is bad`))
          : resolve(items.map((i) => `r${i.n}`)),
      );
    });
  };

  get inFlight(): number {
    return this.releases.length;
  }

  /** Ends the oldest statement still out (failing it if it carries item `fail`). */
  release(fail?: number): void {
    this.releases.shift()?.(fail);
  }
}

const options = { maxInFlight: 1, maxBatch: 64, distinctBy: (item: Item) => item.executionId };
const item = (n: number, executionId = `e${n}`): Item => ({ n, executionId });
/** A few turns of the event loop: the batcher sends at the end of a turn. */
const turn = async () => {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe("StatementBatcher", () => {
  it("sends a lone request at once, and those made while statements are out together in the next one", async () => {
    const runner = new HeldRunner();
    const batcher = new StatementBatcher(runner.run, { ...options, maxInFlight: 2 });
    const first = batcher.submit(item(1));
    await turn();
    expect(runner.batches).toEqual([[1]]);
    const second = batcher.submit(item(2));
    await turn();
    const rest = [3, 4, 5, 6].map((n) => batcher.submit(item(n)));
    await turn();
    // Two statements out: the other four wait for one of them.
    expect(runner.batches).toEqual([[1], [2]]);
    runner.release();
    expect(await first).toBe("r1");
    await turn();
    expect(runner.batches).toEqual([[1], [2], [3, 4, 5, 6]]);
    runner.release();
    runner.release();
    expect(await second).toBe("r2");
    expect(await Promise.all(rest)).toEqual(["r3", "r4", "r5", "r6"]);
  });

  it("never puts two requests of one execution in the same statement", async () => {
    const runner = new HeldRunner();
    const batcher = new StatementBatcher(runner.run, options);
    const first = batcher.submit(item(0, "z")); // leaves at once, alone: the others wait for it
    const results = [item(1, "a"), item(2, "a"), item(3, "b"), item(4, "a")].map((i) => batcher.submit(i));
    await turn();
    runner.release();
    await turn();
    expect(runner.batches).toEqual([[0], [1, 3]]);
    runner.release();
    await turn();
    expect(runner.batches).toEqual([[0], [1, 3], [2]]);
    runner.release();
    await turn();
    expect(runner.batches).toEqual([[0], [1, 3], [2], [4]]);
    runner.release();
    expect(await Promise.all([first, ...results])).toEqual(["r0", "r1", "r2", "r3", "r4"]);
  });

  it("lets requests share a statement whatever their keys when distinctBy is not given", async () => {
    const runner = new HeldRunner();
    const batcher = new StatementBatcher(runner.run, { maxInFlight: 1, maxBatch: 64 });
    const results = [item(0, "z"), item(1, "a"), item(2, "a")].map((i) => batcher.submit(i));
    await turn();
    runner.release();
    await turn();
    runner.release();
    expect(await Promise.all(results)).toEqual(["r0", "r1", "r2"]);
    expect(runner.batches).toEqual([[0], [1, 2]]);
  });

  it("caps a statement at maxBatch requests", async () => {
    const runner = new HeldRunner();
    const batcher = new StatementBatcher(runner.run, { ...options, maxBatch: 2 });
    const results = [0, 1, 2, 3].map((n) => batcher.submit(item(n)));
    for (let i = 0; i < 3; i++) {
      await turn();
      runner.release();
    }
    expect(await Promise.all(results)).toEqual(["r0", "r1", "r2", "r3"]);
    expect(runner.batches).toEqual([[0], [1, 2], [3]]);
  });

  it("when a statement fails, tries each of its requests alone: only the bad one fails", async () => {
    const runner = new HeldRunner();
    const batcher = new StatementBatcher(runner.run, options);
    const results = [0, 1, 2, 3].map((n) => batcher.submit(item(n)).catch((error: Error) => error.message));
    await turn();
    runner.release();
    await turn();
    runner.release(2);
    await turn();
    expect(runner.batches).toEqual([[0], [1, 2, 3], [1], [2], [3]]);
    for (let i = 0; i < 3; i++) runner.release(2);
    expect(await Promise.all(results)).toEqual(["r0", "r1", "item 2 is bad", "r3"]);
    expect(runner.inFlight).toBe(0);
  });
});
