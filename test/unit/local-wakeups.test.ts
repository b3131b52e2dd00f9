import { describe, expect, it } from "vitest";
import type { JobResult, StepJob } from "../../src/engine/ports.js";
import { LocalWakeups } from "../../src/engine/runner/local-wakeups.js";

const job = (stepId: string): StepJob => ({ stepId, executionId: "e", generation: "w" });
const soon = (ms: number) => new Date(Date.now() + ms);

/** A wake function that records calls and resolves a promise on the n-th one. */
function recorder(results: (JobResult | undefined)[] = []) {
  const calls: string[] = [];
  let notify: () => void = () => {};
  const wake = async (j: StepJob) => {
    calls.push(j.stepId);
    notify();
    return results.shift();
  };
  const nextCall = () =>
    new Promise<void>((resolve) => {
      notify = resolve;
    });
  return { calls, wake, nextCall };
}

describe("LocalWakeups", () => {
  it("ends a wait that is due soon, from a timer", async () => {
    const r = recorder();
    const wakeups = new LocalWakeups(r.wake, { horizonMs: 60_000, maxRunning: 4 });
    const called = r.nextCall();
    wakeups.schedule(job("a"), soon(5));
    await called;
    expect(r.calls).toEqual(["a"]);
    wakeups.stop();
  });

  it("leaves waits beyond the horizon to the queue, and cancels pending timers on stop", async () => {
    const r = recorder();
    const wakeups = new LocalWakeups(r.wake, { horizonMs: 1_000, maxRunning: 4 });
    wakeups.schedule(job("far"), soon(5_000));
    wakeups.schedule(job("cancelled"), soon(20));
    wakeups.stop();
    const later = new LocalWakeups(r.wake, { horizonMs: 1_000, maxRunning: 4 });
    const called = r.nextCall();
    later.schedule(job("witness"), soon(40));
    await called;
    expect(r.calls).toEqual(["witness"]);
    later.stop();
  });

  it("looks again when the runner says the wait is not over yet", async () => {
    const r = recorder([{ rescheduleAt: soon(10) }]);
    const wakeups = new LocalWakeups(r.wake, { horizonMs: 60_000, maxRunning: 4 });
    let called = r.nextCall();
    wakeups.schedule(job("early"), soon(1));
    await called;
    called = r.nextCall();
    await called;
    expect(r.calls).toEqual(["early", "early"]);
    wakeups.stop();
  });
});
