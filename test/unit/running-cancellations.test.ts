import { describe, expect, it } from "vitest";
import { RunningCancellations } from "../../src/engine/runner/cancellations.js";

describe("RunningCancellations", () => {
  it("aborts the signals of the cancelled execution's running steps, and only those", () => {
    const cancellations = new RunningCancellations();
    const a1 = cancellations.watch("a");
    const a2 = cancellations.watch("a");
    const b = cancellations.watch("b");
    cancellations.cancelled("a");
    expect([a1.signal.aborted, a2.signal.aborted, b.signal.aborted]).toEqual([true, true, false]);
    expect((a1.signal.reason as Error).message).toBe("its execution was cancelled");
    b.release();
    expect(cancellations.size).toBe(0);
  });

  it("aborts at once a step that starts after its execution's cancellation was heard", () => {
    const cancellations = new RunningCancellations(2);
    cancellations.cancelled("a");
    expect(cancellations.watch("a").signal.aborted).toBe(true);
    // Only the latest cancellations are remembered.
    cancellations.cancelled("b");
    cancellations.cancelled("c");
    expect(cancellations.watch("a").signal.aborted).toBe(false);
    expect(cancellations.watch("c").signal.aborted).toBe(true);
  });

  it("forgets a run once released", () => {
    const cancellations = new RunningCancellations();
    const run = cancellations.watch("a");
    run.release();
    cancellations.cancelled("a");
    expect(run.signal.aborted).toBe(false);
    expect(cancellations.size).toBe(0);
  });
});
