/**
 * Live updates: how long a committed step change takes to reach graphql-ws
 * subscribers of `executionUpdated`, with 1, 100 and 1,000 of them watching the
 * same execution.
 *
 * Each run starts an execution of start → g1 → … → g<n> (n = 10 to 50, or 5 to
 * 25 in quick mode: more for fewer subscribers, so that every run has enough
 * samples), where every g is an
 * http_call to a gate the bench holds (see HttpTarget). The subscribers
 * connect while g1 is held and get their SNAPSHOT; then the bench opens one
 * gate at a time, and opens the next only once every subscriber has received
 * every change so far. So each commit (g<n> SUCCEEDED and g<n+1> RUNNING) is
 * fanned out while the server has nothing else to deliver: the figure is the
 * delivery time of one commit to N subscribers, not the draining of a backlog.
 *
 * Each step change a subscriber receives is timed against the createdAt of
 * the ExecutionChange row with the same seq, which the engine writes in the
 * change's own transaction (PostgreSQL's transaction timestamp: when that
 * transaction began, a few milliseconds before its commit, so the figure is
 * slightly high). All subscribers live in the bench process, so it also holds
 * the bench's own time to read every copy. Unmeasured rounds come first (see
 * warmUpLive); the first of them is reported as a note.
 */
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import { type EngineContext, repeat } from "./context.js";
import { epochMs } from "./database.js";
import { withDeadline } from "./deadline.js";
import { progress } from "./progress.js";
import { type Percentiles, percentiles, spread } from "./stats.js";
import { gates } from "./workflows.js";

/** Commits per run: more for few subscribers, so every run has enough samples; half as many in quick mode. */
function gatesFor(subscribers: number, quick: boolean): number {
  const [fewest, most, deliveries] = quick ? [5, 25, 500] : [10, 50, 1000];
  return Math.min(most, Math.max(fewest, Math.ceil(deliveries / subscribers)));
}
const SECTION = "Live updates: step commit → graphql-ws subscriber (executionUpdated), one commit at a time";
const QUERY = "subscription ($id: ID!) { executionUpdated(id: $id) { seq kind status } }";
/** Subscriptions opened at once, then awaited before the next batch. */
const BATCH = 100;
const DEADLINE_MS = 60_000;
const FINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);
/** A delivery this late came from executionUpdated's periodic change-log check, not from the live message. */
const LATE_MS = 2500;

interface Update {
  seq: number;
  kind: "SNAPSHOT" | "EXECUTION" | "STEP";
  status: string;
}

interface RunResult {
  latency: Percentiles;
  /** From opening the first gate to the last subscriber seeing the end. */
  seconds: number;
  serverCpuSeconds: number;
  benchCpuSeconds: number;
}

export async function measureLive(ctx: EngineContext): Promise<void> {
  for (const count of ctx.options.subscribers) {
    const gateCount = gatesFor(count, ctx.options.quick);
    const workflowId = await ctx.api.createWorkflow(gates(ctx.target.url("/gate"), gateCount));
    const sockets = Math.min(count, ctx.options.sockets);
    const how =
      sockets === count
        ? `${count} subscriber${count === 1 ? "" : "s"}, one WebSocket each`
        : `${count} subscribers over ${sockets} WebSockets`;
    const cold = await warmUpLive(ctx, how, () => oneRun(ctx, workflowId, gateCount, count, sockets));
    const runs = await repeat(ctx, `live updates, ${how}`, () => oneRun(ctx, workflowId, gateCount, count, sockets));
    ctx.report.latency(
      SECTION,
      how,
      runs.map((r) => r.latency),
    );
    const median = (values: number[]) => spread(values).median.toFixed(2);
    ctx.report.note(
      `live updates, ${how}: ${gateCount} commits delivered in ${median(runs.map((r) => r.seconds))} s; ` +
        `CPU meanwhile: server ${median(runs.map((r) => r.serverCpuSeconds))} s, bench ${median(runs.map((r) => r.benchCpuSeconds))} s (medians)`,
    );
    if (cold) {
      ctx.report.note(
        `live updates, ${how}: first warm-up run (code not yet compiled, not in the table): ` +
          `p50 ${cold.latency.p50.toFixed(1)} ms, p99 ${cold.latency.p99.toFixed(1)} ms`,
      );
    }
  }
}

/**
 * Unmeasured runs for a third of `--warmup` (at least one): the server's
 * subscription path and the bench's graphql-ws clients are code the other
 * sections never ran, and V8 compiles it only after thousands of deliveries.
 * Measured on a fresh engine, 100 subscribers: p99 17–21 ms over the first
 * 30 commits, 6–11 ms from the seventh run on.
 */
async function warmUpLive(
  ctx: EngineContext,
  how: string,
  run: () => Promise<RunResult>,
): Promise<RunResult | undefined> {
  const warmupMs = ctx.options.warmupMs / 3;
  if (warmupMs <= 0) return undefined;
  progress(`live updates, ${how}: warming up (${(warmupMs / 1000).toFixed(1)} s, not measured)`);
  const until = performance.now() + warmupMs;
  const first = await run();
  while (performance.now() < until) await run();
  return first;
}

async function oneRun(
  ctx: EngineContext,
  workflowId: string,
  gateCount: number,
  count: number,
  sockets: number,
): Promise<RunResult> {
  const executionId = await ctx.api.startExecution(workflowId);
  const gate = (n: number) => `${executionId}/g${n}`;
  await withDeadline(ctx.target.reached(gate(1)), DEADLINE_MS, "the execution to reach its first gate");

  const url = `${ctx.fleet.serverUrl.replace(/^http/, "ws")}/graphql`;
  const clients = Array.from({ length: sockets }, () =>
    createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true }),
  );
  const watchers = new Watchers(count);
  const subscribers: Subscriber[] = [];
  let result: Omit<RunResult, "latency">;
  try {
    for (let i = 0; i < count; i += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, count - i) }, (_, j) =>
        subscribe(clients[(i + j) % sockets] as Client, executionId, watchers, i + j),
      );
      subscribers.push(...batch);
      await withDeadline(
        Promise.all(batch.map((s) => s.snapshot)),
        DEADLINE_MS,
        "subscribers to receive their SNAPSHOT",
      );
    }

    const serverCpu = ctx.fleet.server.cpuSeconds() ?? Number.NaN;
    const benchCpu = process.cpuUsage();
    const started = performance.now();
    for (let n = 1; n <= gateCount; n++) {
      ctx.target.openGate(gate(n));
      if (n < gateCount) {
        // g<n+1> is running: its commit is the last change until we open its gate.
        await withDeadline(ctx.target.reached(gate(n + 1)), DEADLINE_MS, `the execution to reach gate ${n + 1}`);
        await withDeadline(
          watchers.allReach(await currentSeq(ctx, executionId)),
          DEADLINE_MS,
          `every subscriber to get gate ${n}`,
        );
      }
    }
    await withDeadline(
      Promise.all(subscribers.map((s) => s.done)),
      DEADLINE_MS,
      "every subscriber to see the execution finish",
    );
    const bench = process.cpuUsage(benchCpu);
    result = {
      seconds: (performance.now() - started) / 1000,
      serverCpuSeconds: (ctx.fleet.server.cpuSeconds() ?? Number.NaN) - serverCpu,
      benchCpuSeconds: (bench.user + bench.system) / 1e6,
    };
  } finally {
    for (const s of subscribers) s.unsubscribe();
    await Promise.all(clients.map((c) => c.dispose()));
  }

  const { rows } = await ctx.database.pool.query<{ seq: number; kind: string; committed: number }>(
    `SELECT seq, kind, ${epochMs('"createdAt"')} AS committed FROM "ExecutionChange" WHERE "executionId" = $1`,
    [executionId],
  );
  const committed = new Map(rows.map((r) => [r.seq, r.committed]));
  const latencies: number[] = [];
  let expected = 0;
  for (const s of subscribers) {
    const after = await s.snapshot;
    expected += rows.filter((r) => r.kind === "step" && r.seq > after).length;
    for (const { seq, at } of s.steps) {
      const commit = committed.get(seq);
      if (commit !== undefined) latencies.push(at - commit);
    }
  }
  const late = latencies.filter((ms) => ms >= LATE_MS).length;
  if (late > 0) {
    ctx.report.note(
      `live updates, ${count} subscribers: ${late} step change(s) arrived ${LATE_MS / 1000} s or more after commit ` +
        "(executionUpdated's 3-second change-log check, so the live Redis message was missed)",
    );
  }
  if (latencies.length !== expected) {
    ctx.report.note(
      `live updates, ${count} subscribers: ${latencies.length} step changes delivered, ${expected} expected`,
    );
  }
  return { latency: percentiles(latencies), ...result };
}

async function currentSeq(ctx: EngineContext, executionId: string): Promise<number> {
  const { rows } = await ctx.database.pool.query<{ seq: number }>(`SELECT seq FROM "Execution" WHERE id = $1`, [
    executionId,
  ]);
  return rows[0]?.seq ?? 0;
}

/** Knows the last seq each subscriber received, and waits for all of them to reach one. */
class Watchers {
  private readonly last: number[];
  private target = Number.POSITIVE_INFINITY;
  private behind = 0;
  private caughtUp: () => void = () => {};

  constructor(count: number) {
    this.last = Array.from({ length: count }, () => 0);
  }

  received(subscriber: number, seq: number): void {
    const before = this.last[subscriber] ?? 0;
    this.last[subscriber] = Math.max(before, seq);
    if (before < this.target && seq >= this.target && --this.behind === 0) this.caughtUp();
  }

  allReach(seq: number): Promise<void> {
    this.target = seq;
    this.behind = this.last.filter((s) => s < seq).length;
    if (this.behind === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.caughtUp = resolve;
    });
  }
}

interface Subscriber {
  /** The SNAPSHOT's seq: later changes are the live ones. */
  snapshot: Promise<number>;
  /** Resolves when the execution's final status arrived. */
  done: Promise<void>;
  /** Step changes received, with when (ms since the epoch, sub-millisecond). */
  steps: { seq: number; at: number }[];
  unsubscribe: () => void;
}

function subscribe(client: Client, executionId: string, watchers: Watchers, index: number): Subscriber {
  const steps: Subscriber["steps"] = [];
  const snapshot = deferred<number>();
  const done = deferred<void>();
  const fail = (error: Error) => {
    snapshot.reject(error);
    done.reject(error);
  };
  const unsubscribe = client.subscribe<{ executionUpdated: Update }>(
    { query: QUERY, variables: { id: executionId } },
    {
      next: (result) => {
        const at = performance.timeOrigin + performance.now();
        const update = result.data?.executionUpdated;
        if (!update) return fail(new Error(`subscription error: ${JSON.stringify(result.errors)}`));
        if (update.kind === "SNAPSHOT") snapshot.resolve(update.seq);
        if (update.kind === "STEP") steps.push({ seq: update.seq, at });
        if (update.kind === "EXECUTION" && FINAL.has(update.status)) done.resolve();
        watchers.received(index, update.seq);
      },
      error: (error) => fail(error instanceof Error ? error : new Error(`subscription closed: ${String(error)}`)),
      // Also called after we unsubscribe; by then `done` has settled and this changes nothing.
      complete: () => fail(new Error("subscription ended before the execution finished")),
    },
  );
  return { snapshot: snapshot.promise, done: done.promise, steps, unsubscribe };
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => {};
  let reject: (error: Error) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // awaited later, or never when another subscriber failed first
  return { promise, resolve, reject };
}
