import { describe, expect, it } from "vitest";
import { ExecutionLiveStore, type ExecutionUpdateInput, type Schedule } from "../src/lib/seq-store.ts";

/** A server's change log for one execution: start, then three steps each PENDING → RUNNING → SUCCEEDED, then done. */
function changeLog(): ExecutionUpdateInput[] {
  const log: ExecutionUpdateInput[] = [];
  let seq = 0;
  log.push({ seq: ++seq, kind: "EXECUTION", status: "RUNNING", execution: { id: "x", status: "RUNNING" } });
  ["start", "a", "b"].forEach((nodeId, index) => {
    for (const status of ["PENDING", "RUNNING", "SUCCEEDED"]) {
      log.push({
        seq: ++seq,
        kind: "STEP",
        status,
        nodeId,
        step: { id: `s${index}`, nodeId, type: "t", attempt: 1, createdAt: `2026-01-01T00:00:0${index}Z` },
      });
    }
  });
  log.push({ seq: ++seq, kind: "EXECUTION", status: "SUCCEEDED", execution: { id: "x", status: "SUCCEEDED" } });
  return log;
}

/** What executionUpdated(afterSeq) sends: every logged change after it. */
function replay(log: ExecutionUpdateInput[], afterSeq: number | undefined): ExecutionUpdateInput[] {
  return log.filter((change) => change.seq > (afterSeq ?? 0));
}

describe("the resume-by-seq store", () => {
  it("drops a change whose seq it has already seen", () => {
    const store = new ExecutionLiveStore();
    const [first, second] = changeLog();
    expect(store.apply(first as ExecutionUpdateInput)).toBe(true);
    expect(store.apply(second as ExecutionUpdateInput)).toBe(true);
    expect(store.apply(first as ExecutionUpdateInput)).toBe(false);
    expect(store.apply(second as ExecutionUpdateInput)).toBe(false);
    expect(store.repeats).toBe(2);
    expect(store.resumeAfter).toBe(2);
  });

  it("resumes after a dropped connection from the last seq and ends with every step, none twice", () => {
    const log = changeLog();
    const store = new ExecutionLiveStore();
    // The connection drops after five changes; the client subscribes again with afterSeq.
    for (const change of log.slice(0, 5)) store.apply(change);
    expect(store.resumeAfter).toBe(5);
    const missed = replay(log, store.resumeAfter);
    expect(missed[0]?.seq).toBe(6);
    for (const change of missed) store.apply(change);
    expect(store.repeats).toBe(0);
    expect(store.current?.status).toBe("SUCCEEDED");
    expect(store.finished).toBe(true);
    expect(store.stepList().map((step) => [step.nodeId, step.status])).toEqual([
      ["start", "SUCCEEDED"],
      ["a", "SUCCEEDED"],
      ["b", "SUCCEEDED"],
    ]);
  });

  it("is the same whatever the connection does: any cut, any repeat", () => {
    const log = changeLog();
    const whole = new ExecutionLiveStore();
    for (const change of log) whole.apply(change);
    for (let cut = 0; cut <= log.length; cut++) {
      const store = new ExecutionLiveStore();
      for (const change of log.slice(0, cut)) store.apply(change);
      // A server that resends a little too much (an older afterSeq) changes nothing.
      for (const change of replay(log, Math.max(0, (store.resumeAfter ?? 0) - 2))) store.apply(change);
      expect(store.stepList()).toEqual(whole.stepList());
      expect(store.current).toEqual(whole.current);
    }
  });

  it("merges steps read by a query with the stream: per step the highest seq wins", () => {
    const store = new ExecutionLiveStore();
    store.apply({ seq: 4, kind: "SNAPSHOT", status: "RUNNING", execution: { id: "x", status: "RUNNING" } });
    // The stream already brought a's SUCCEEDED (seq 6) before the query's answer (read at seq 5) arrives.
    store.apply({ seq: 6, kind: "STEP", status: "SUCCEEDED", step: { id: "sa", nodeId: "a", type: "t", attempt: 1 } });
    store.mergeSteps([
      { id: "sa", nodeId: "a", type: "t", status: "RUNNING", seq: 5, attempt: 1 },
      { id: "sb", nodeId: "b", type: "t", status: "PENDING", seq: 5, attempt: 1 },
    ]);
    expect(store.nodeStatuses()).toEqual(
      new Map([
        ["a", "SUCCEEDED"],
        ["b", "PENDING"],
      ]),
    );
    // The query's older read of the execution does not undo the stream's newer one.
    store.mergeExecutionRead({ id: "x", status: "PENDING", seq: 2 });
    expect(store.current?.status).toBe("RUNNING");
  });

  it("tells its listeners once per tick, however many changes arrive", () => {
    const ticks: (() => void)[] = [];
    const schedule: Schedule = (flush) => ticks.push(flush);
    const store = new ExecutionLiveStore(schedule);
    let renders = 0;
    store.subscribe(() => renders++);
    for (const change of changeLog()) store.apply(change);
    expect(ticks).toHaveLength(1);
    ticks.shift()?.();
    expect(renders).toBe(1);
    store.apply({ seq: 100, kind: "EXECUTION", status: "FAILED", execution: { id: "x" } });
    ticks.shift()?.();
    expect(renders).toBe(2);
  });

  it("hands renders one immutable snapshot per version: unchanged steps keep their objects", () => {
    const store = new ExecutionLiveStore();
    let seq = 0;
    const step = (node: number, status: string) =>
      store.apply({
        seq: ++seq,
        kind: "STEP",
        status,
        step: {
          id: `s${node}`,
          nodeId: `n${node}`,
          type: "t",
          attempt: 1,
          createdAt: `2026-01-01T00:00:${String(node).padStart(2, "0")}Z`,
        },
      });
    for (let node = 0; node < 30; node++) step(node, "RUNNING");
    const first = store.snapshot();
    expect(store.snapshot()).toBe(first);
    expect(first.steps.map((s) => s.nodeId).slice(0, 3)).toEqual(["n0", "n1", "n2"]);
    step(7, "SUCCEEDED");
    const second = store.snapshot();
    expect(second).not.toBe(first);
    expect(second.statuses.get("n7")).toBe("SUCCEEDED");
    expect(first.statuses.get("n7")).toBe("RUNNING");
    expect(second.steps[6]).toBe(first.steps[6]);
    expect(second.steps[7]).not.toBe(first.steps[7]);
    expect(second.resumeAfter).toBe(seq);
  });

  it("takes a 300-node execution's updates (prints the cost)", () => {
    const store = new ExecutionLiveStore();
    const started = performance.now();
    let seq = 0;
    for (let node = 0; node < 300; node++) {
      for (const status of ["PENDING", "RUNNING", "SUCCEEDED"]) {
        store.apply({
          seq: ++seq,
          kind: "STEP",
          status,
          step: { id: `s${node}`, nodeId: `n${node}`, type: "t", attempt: 1 },
        });
        // One snapshot per update: far more than the page takes (one per frame).
        store.snapshot();
      }
    }
    expect(store.snapshot().statuses.size).toBe(300);
    console.log(`900 updates, each with a snapshot: ${(performance.now() - started).toFixed(0)} ms`);
  });
});
