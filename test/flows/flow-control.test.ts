/**
 * Flow control end to end: concurrency limits (per key and in total, each
 * strategy), waiting gives the slot back, round-robin between keys,
 * priority, rate limits (throttle, drop). Calls go to a local server that
 * holds each request until the test lets it go, and counts what is in
 * flight per key, so "at most n at once" is what the server saw.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { ingestEvent } from "../../src/services/events.js";
import { cancelExecution, retryExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { waitForExecution, waitForStep, waitUntil } from "../support/engine.js";
import { TEST_ENGINE } from "../support/env.js";
import { useFlowHarness } from "../support/flow-harness.js";
import { edge, node } from "../support/graphs.js";

const harness = useFlowHarness();
const services = () => harness.engine.services;
const db = () => harness.engine.db;

let unique = 0;
const tag = (name: string) => `${name}-${++unique}-${Date.now()}`;

/** A route whose requests stay in flight until released, counting them per `key` of the body. */
class HeldCalls {
  readonly inFlight = new Map<string, number>();
  readonly maxInFlight = new Map<string, number>();
  readonly arrived: string[] = [];
  private waiting: (() => void)[] = [];
  /** Answer at once instead of holding. */
  autoMs: number | undefined;

  constructor(readonly path: string) {
    harness.server.route(path, (req: IncomingMessage, res: ServerResponse) => this.handle(req, res));
  }

  private handle(_req: IncomingMessage, res: ServerResponse): void {
    const body = harness.server.requestsTo(this.path).at(-1)?.body as { key: string; id: string };
    this.arrived.push(body.id);
    for (const key of [body.key, "*"]) {
      const now = (this.inFlight.get(key) ?? 0) + 1;
      this.inFlight.set(key, now);
      this.maxInFlight.set(key, Math.max(now, this.maxInFlight.get(key) ?? 0));
    }
    const answer = () => {
      for (const key of [body.key, "*"]) this.inFlight.set(key, (this.inFlight.get(key) ?? 1) - 1);
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    };
    if (this.autoMs !== undefined) setTimeout(answer, this.autoMs);
    else this.waiting.push(answer);
  }

  get held(): number {
    return this.waiting.length;
  }

  releaseAll(): void {
    const answers = this.waiting;
    this.waiting = [];
    for (const answer of answers) answer();
  }
}

/** start → call (held by `calls`) → end, started by events of `type`. */
function callFlow(type: string, calls: HeldCalls, flow: Record<string, unknown>) {
  return {
    name: `flow ${type}`,
    trigger: { "==": [{ var: "type" }, type] },
    graph: {
      nodes: [
        node("start", "start"),
        node("call", "http_call", {
          url: harness.server.url(calls.path),
          method: "POST",
          body: { key: "{{payload.key}}", id: "{{payload.id}}" },
          timeoutMs: 60_000,
        }),
        node("end", "end"),
      ],
      edges: [edge("start", "call"), edge("call", "end")],
    },
    ...flow,
  };
}

async function send(type: string, payload: Record<string, unknown>): Promise<string> {
  const result = await ingestEvent(services(), { type, ...payload });
  expect(result.executions).toHaveLength(1);
  return result.executions[0]?.id as string;
}

describe("concurrency", () => {
  it("holds at most the limit per key and the total cap at once, and runs every execution", async () => {
    const type = tag("per-key");
    const calls = new HeldCalls(`/${type}`);
    const workflow = await createWorkflow(
      services(),
      callFlow(type, calls, { concurrency: [{ key: "{{payload.key}}", limit: 2 }, { limit: 3 }] }),
    );
    const keys = ["a", "a", "a", "a", "a", "a", "b", "b", "b", "c", "c", "c"];
    const ids = await Promise.all(keys.map((key, i) => send(type, { key, id: String(i) })));
    // The total cap binds: three calls in flight, the other nine in line.
    await waitUntil(async () => calls.held === 3, "three calls in flight");
    const inLine = { workflowId: workflow.id };
    await waitUntil(async () => (await db().capacityWait.count({ where: inLine })) === 9, "nine in line");
    expect(calls.maxInFlight.get("*")).toBe(3);
    calls.autoMs = 30;
    calls.releaseAll();
    for (const id of ids) expect((await waitForExecution(db(), id)).status).toBe("SUCCEEDED");
    expect(calls.arrived).toHaveLength(keys.length);
    for (const key of ["a", "b", "c"]) expect(calls.maxInFlight.get(key)).toBeLessThanOrEqual(2);
    expect(calls.maxInFlight.get("*")).toBe(3);
    expect(await db().capacityWait.count({ where: inLine })).toBe(0);
  });

  it("holds a key to its limit while other keys have room", async () => {
    const type = tag("one-key");
    const calls = new HeldCalls(`/${type}`);
    const workflow = await createWorkflow(
      services(),
      callFlow(type, calls, { concurrency: [{ key: "{{payload.key}}", limit: 2 }, { limit: 3 }] }),
    );
    const ids = await Promise.all([0, 1, 2, 3, 4].map((i) => send(type, { key: "a", id: String(i) })));
    await waitUntil(async () => calls.held === 2, "two calls of key a in flight");
    await waitUntil(
      async () => (await db().capacityWait.count({ where: { workflowId: workflow.id } })) === 3,
      "the other three in line although the total cap has room",
    );
    const other = await send(type, { key: "b", id: "b" });
    await waitUntil(async () => calls.held === 3, "key b's call beside them");
    calls.autoMs = 0;
    calls.releaseAll();
    for (const id of [...ids, other]) expect((await waitForExecution(db(), id)).status).toBe("SUCCEEDED");
    expect(calls.maxInFlight.get("a")).toBe(2);
  });

  it("gives the slot back while waiting: a limit-1 execution waiting for an event does not block the next", async () => {
    const type = tag("waits");
    const workflow = await createWorkflow(services(), {
      name: type,
      trigger: { "==": [{ var: "type" }, type] },
      concurrency: { limit: 1 },
      graph: {
        nodes: [
          node("start", "start"),
          node("approval", "wait_for_event", { match: { "==": [{ var: "approves" }, "{{payload.id}}"] } }),
          node("end", "end"),
        ],
        edges: [edge("start", "approval"), edge("approval", "end")],
      },
    });
    expect(workflow.flowControl).toMatchObject({ concurrency: [{ key: null, limit: 1, strategy: "queue" }] });
    const first = await send(type, { id: "one" });
    await waitForStep(db(), first, "approval", "WAITING");
    const second = await send(type, { id: "two" });
    await waitForStep(db(), second, "approval", "WAITING");
    await ingestEvent(services(), { approves: "one" });
    await ingestEvent(services(), { approves: "two" });
    expect((await waitForExecution(db(), first)).status).toBe("SUCCEEDED");
    expect((await waitForExecution(db(), second)).status).toBe("SUCCEEDED");
  });

  it("takes a slot back after a wait, in line behind nobody it would exceed the limit with", async () => {
    const type = tag("resume");
    const calls = new HeldCalls(`/${type}`);
    await createWorkflow(services(), {
      ...callFlow(type, calls, { concurrency: { limit: 1 } }),
      graph: {
        nodes: [
          node("start", "start"),
          node("pause", "delay", { ms: 300 }),
          node("call", "http_call", {
            url: harness.server.url(calls.path),
            method: "POST",
            body: { key: "k", id: "{{payload.id}}" },
            timeoutMs: 60_000,
          }),
          node("end", "end"),
        ],
        edges: [edge("start", "pause"), edge("pause", "call"), edge("call", "end")],
      },
    });
    const first = await send(type, { id: "first" });
    const second = await send(type, { id: "second" });
    // Both delays run at once (waiting holds no slot); then one call at a time.
    await waitUntil(async () => calls.held === 1, "one call in flight");
    const inLine = { executionId: { in: [first, second] } };
    await waitUntil(async () => (await db().capacityWait.count({ where: inLine })) === 1, "the other back in line");
    const line = await db().capacityWait.findMany({ where: inLine });
    expect(line).toHaveLength(1);
    expect(line[0]?.resuming).toBe(true);
    expect(calls.maxInFlight.get("*")).toBe(1);
    calls.releaseAll();
    await waitUntil(async () => calls.held === 1 && calls.arrived.length === 2, "the second call");
    calls.releaseAll();
    expect((await waitForExecution(db(), first)).status).toBe("SUCCEEDED");
    expect((await waitForExecution(db(), second)).status).toBe("SUCCEEDED");
    expect(calls.maxInFlight.get("*")).toBe(1);
  });

  // 1,000 events on PostgreSQL; 300 on embedded PGlite (one connection: the flood and its cancel take 85 s of a 120 s
  // budget at 1,000 on an idle machine, past it on a busy one), enough for round-robin to show.
  const flood = TEST_ENGINE === "embedded" ? 300 : 1000;
  it(`serves keys round-robin: a ${flood}-event flood on one key delays another key's event by a few executions at most`, async () => {
    const type = tag("fair");
    const calls = new HeldCalls(`/${type}`);
    calls.autoMs = 0;
    const workflow = await createWorkflow(
      services(),
      callFlow(type, calls, { concurrency: [{ key: "{{payload.key}}", limit: 1 }, { limit: 1 }] }),
    );
    await Promise.all(Array.from({ length: flood }, (_, i) => send(type, { key: "A", id: `A${i}` })));
    await waitUntil(async () => calls.arrived.length >= 3, "the flood started");
    const doneBefore = calls.arrived.length;
    const single = await send(type, { key: "B", id: "B" });
    expect((await waitForExecution(db(), single)).status).toBe("SUCCEEDED");
    const position = calls.arrived.indexOf("B");
    expect(position - doneBefore).toBeLessThanOrEqual(3);
    expect(calls.maxInFlight.get("*")).toBe(1);
    // The rest of the flood is not waited for: cancelled, so the engine stops with nothing left to do.
    const left = await db().execution.findMany({
      where: { workflowId: workflow.id, status: { in: ["PENDING", "RUNNING"] } },
    });
    for (const execution of left) await cancelExecution(services(), execution.id, { ifActive: true });
  }, 120_000);

  it("starts higher priority first among those waiting, arrival order among equals", async () => {
    const type = tag("priority");
    const calls = new HeldCalls(`/${type}`);
    await createWorkflow(services(), callFlow(type, calls, { concurrency: { limit: 1 }, priority: "{{payload.p}}" }));
    await send(type, { id: "occupant", p: 0 });
    await waitUntil(async () => calls.held === 1, "the occupant's call");
    const order = [
      { id: "zero", p: 0 },
      { id: "five-a", p: 5 },
      { id: "minus", p: -3 },
      { id: "five-b", p: 5 },
      { id: "ten", p: 10 },
    ];
    for (const event of order) await send(type, event);
    for (let i = 0; i < order.length; i += 1) {
      calls.releaseAll();
      await waitUntil(async () => calls.held === 1, `call ${i + 1} of the line`);
    }
    calls.releaseAll();
    expect(calls.arrived).toEqual(["occupant", "ten", "five-a", "five-b", "zero", "minus"]);
  });

  it("skip records the newcomer SKIPPED, cancel_newest CANCELLED, cancel_in_progress cancels the oldest", async () => {
    const outcomes: Record<string, [string, string]> = {};
    for (const strategy of ["skip", "cancel_newest", "cancel_in_progress"]) {
      const type = tag(strategy);
      const calls = new HeldCalls(`/${type}`);
      await createWorkflow(
        services(),
        callFlow(type, calls, { concurrency: { key: "{{payload.key}}", limit: 1, strategy } }),
      );
      const first = await send(type, { key: "k", id: "first" });
      await waitUntil(async () => calls.held === 1, "the first call");
      const second = await send(type, { key: "k", id: "second" });
      const other = await send(type, { key: "other", id: "other" });
      if (strategy === "cancel_in_progress") {
        await waitForExecution(db(), first, ["CANCELLED"]);
        await waitUntil(async () => calls.arrived.includes("second"), "the newest call");
      } else {
        await waitForExecution(db(), second, ["SKIPPED", "CANCELLED"]);
      }
      await waitUntil(async () => calls.arrived.includes("other"), "another key is not affected");
      calls.autoMs = 0;
      calls.releaseAll();
      const [a, b] = [await waitForExecution(db(), first), await waitForExecution(db(), second)];
      expect((await waitForExecution(db(), other)).status).toBe("SUCCEEDED");
      outcomes[strategy] = [a.status, b.status];
      const refused = strategy === "cancel_in_progress" ? a : b;
      expect(refused.error).toMatch(/concurrency limit 1 for key "k" reached/);
    }
    expect(outcomes).toEqual({
      skip: ["SUCCEEDED", "SKIPPED"],
      cancel_newest: ["SUCCEEDED", "CANCELLED"],
      cancel_in_progress: ["CANCELLED", "SUCCEEDED"],
    });
  });
});

describe("retry", () => {
  it("a retried execution of a limited workflow waits in line for its slot like one that waited", async () => {
    const type = tag("retry");
    const calls = new HeldCalls(`/${type}`);
    const flaky = `/${type}-flaky`;
    harness.server.script(flaky, { status: 400 }, { status: 200 });
    await createWorkflow(services(), {
      ...callFlow(type, calls, { concurrency: { limit: 1 } }),
      graph: {
        nodes: [
          node("start", "start"),
          node("flaky", "http_call", { url: harness.server.url(flaky), method: "POST", retry: { attempts: 1 } }),
          node("call", "http_call", {
            url: harness.server.url(calls.path),
            method: "POST",
            body: { key: "k", id: "{{payload.id}}" },
            timeoutMs: 60_000,
          }),
        ],
        edges: [edge("start", "flaky"), edge("flaky", "call")],
      },
    });
    const failed = await send(type, { id: "failed" });
    expect((await waitForExecution(db(), failed)).status).toBe("FAILED");
    const holder = await send(type, { id: "holder" });
    await waitUntil(async () => calls.held === 1, "the holder's call");
    await retryExecution(services(), failed);
    await waitUntil(
      async () => (await db().capacityWait.count({ where: { executionId: failed, resuming: true } })) === 1,
      "the retried execution in line",
    );
    expect(calls.arrived).toEqual(["holder"]);
    calls.autoMs = 0;
    calls.releaseAll();
    expect((await waitForExecution(db(), holder)).status).toBe("SUCCEEDED");
    expect((await waitForExecution(db(), failed)).status).toBe("SUCCEEDED");
    expect(calls.arrived).toEqual(["holder", "failed"]);
  });
});

describe("rate limit", () => {
  it("throttle starts at most `limit` per period, in arrival order; drop records the rest SKIPPED", async () => {
    const type = tag("throttle");
    const PERIOD_MS = 2_000;
    const calls = new HeldCalls(`/${type}`);
    calls.autoMs = 0;
    const workflow = await createWorkflow(
      services(),
      callFlow(type, calls, { rateLimit: { limit: 2, periodMs: PERIOD_MS } }),
    );
    // Each start under a rate limit is a row (FlowStart) stamped with the instant admission let it in, kept at
    // least a period (two seconds here, so even a busy CI machine or embedded mode's one busy connection lets
    // the watcher see each: with one second, a CI run once missed one).
    const admitted = new Map<string, number>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const rows = await db().flowStart.findMany({ where: { workflowId: workflow.id } });
        for (const row of rows) admitted.set(row.executionId, row.startedAt.getTime());
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const ids = [];
    for (let i = 0; i < 6; i += 1) ids.push(await send(type, { key: "k", id: String(i) }));
    const finished = [];
    for (const id of ids) finished.push(await waitForExecution(db(), id));
    watching = false;
    await watcher;
    expect(finished.map((e) => e.status)).toEqual(Array(6).fill("SUCCEEDED"));
    // Let in two at a time in arrival order (the two of one window run side by side).
    const windows = [0, 2, 4].map((i) => calls.arrived.slice(i, i + 2).sort());
    expect(windows).toEqual([
      ["0", "1"],
      ["2", "3"],
      ["4", "5"],
    ]);
    // At most two let in within any period: any three admissions span at least the period.
    const starts = ids.map((id) => admitted.get(id) as number);
    expect({ seen: admitted.size, starts }).toEqual({ seen: 6, starts: expect.any(Array) });
    const sorted = [...starts].sort((a, b) => a - b);
    for (let i = 2; i < sorted.length; i += 1) {
      expect((sorted[i] as number) - (sorted[i - 2] as number)).toBeGreaterThanOrEqual(PERIOD_MS);
    }

    const dropType = tag("drop");
    const dropCalls = new HeldCalls(`/${dropType}`);
    dropCalls.autoMs = 0;
    await createWorkflow(
      services(),
      callFlow(dropType, dropCalls, {
        rateLimit: { key: "{{payload.key}}", limit: 1, periodMs: 60_000, mode: "drop" },
      }),
    );
    const kept = await send(dropType, { key: "k", id: "kept" });
    const dropped = await send(dropType, { key: "k", id: "dropped" });
    const otherKey = await send(dropType, { key: "j", id: "other" });
    expect((await waitForExecution(db(), kept)).status).toBe("SUCCEEDED");
    expect((await waitForExecution(db(), otherKey)).status).toBe("SUCCEEDED");
    const skipped = await waitForExecution(db(), dropped);
    expect(skipped).toMatchObject({ status: "SKIPPED" });
    expect(skipped.error).toMatch(/rate limit 1 per 60000 ms for key "k" reached/);
    expect(dropCalls.arrived).toEqual(["kept", "other"]);
  });
});

describe("debounce", () => {
  /** start → note (a notification carrying the payload it ran with) → end. */
  function debounced(type: string, debounce: Record<string, unknown>) {
    return {
      name: type,
      trigger: { "==": [{ var: "type" }, type] },
      debounce,
      graph: {
        nodes: [
          node("start", "start"),
          node("note", "send_notification", { toRole: "ops", message: "n={{payload.n}}" }),
        ],
        edges: [edge("start", "note")],
      },
    };
  }

  async function executionsOf(workflowId: string) {
    return db().execution.findMany({ where: { workflowId }, orderBy: { createdAt: "asc" } });
  }

  it("starts one execution per quiet key with the last, first or all events; a late event opens a new window", async () => {
    const runs: Record<string, unknown[]> = {};
    for (const use of ["last", "first", "all"]) {
      const type = tag(`debounce-${use}`);
      const workflow = await createWorkflow(
        services(),
        debounced(type, { key: "{{payload.doc}}", periodMs: 300, use }),
      );
      for (const n of [1, 2, 3]) {
        const sent = await ingestEvent(services(), { type, doc: "A", n });
        expect(sent.executions).toHaveLength(0);
      }
      await ingestEvent(services(), { type, doc: "B", n: 9 });
      await waitUntil(async () => (await executionsOf(workflow.id)).length === 2, "one execution per key");
      const started = await executionsOf(workflow.id);
      for (const e of started) await waitForExecution(db(), e.id, ["SUCCEEDED"]);
      runs[use] = started.map((e) => e.payload).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));

      // After the window's execution started, a new event opens a new window.
      await ingestEvent(services(), { type, doc: "A", n: 4 });
      await waitUntil(async () => (await executionsOf(workflow.id)).length === 3, "a new window");
    }
    expect(runs.last).toEqual([
      expect.objectContaining({ doc: "A", n: 3 }),
      expect.objectContaining({ doc: "B", n: 9 }),
    ]);
    expect(runs.first).toEqual([
      expect.objectContaining({ doc: "A", n: 1 }),
      expect.objectContaining({ doc: "B", n: 9 }),
    ]);
    expect(runs.all).toEqual([
      { events: [1, 2, 3].map((n) => expect.objectContaining({ doc: "A", n })) },
      { events: [expect.objectContaining({ doc: "B", n: 9 })] },
    ]);
  });

  it("closes a window maxDelayMs after its first event even while events keep coming", async () => {
    const type = tag("debounce-max");
    const workflow = await createWorkflow(services(), debounced(type, { periodMs: 400, maxDelayMs: 600 }));
    const startedAt = Date.now();
    // One event every 100 ms for 1.5 s: never quiet for 400 ms.
    let n = 0;
    while (Date.now() - startedAt < 1500) {
      await ingestEvent(services(), { type, n: ++n });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Without maxDelayMs the stream would be one window, closed once it stopped: one execution.
    await waitUntil(async () => (await executionsOf(workflow.id)).length >= 2, "a window closed by maxDelayMs");
  });
});
