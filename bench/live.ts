/**
 * Live updates: how long a committed step change takes to reach graphql-ws
 * subscribers of `executionUpdated`, with 1, 100 and 1,000 of them watching the
 * same execution.
 *
 * Each run starts an execution of start → gate → n1 … n20; the gate is an
 * http_call the bench holds, so the execution waits while the subscribers
 * connect. Once every subscriber has its SNAPSHOT, the gate opens and the
 * chain runs. Each step change a subscriber receives is timed against its
 * commit: the ExecutionChange row with the same seq, written by the last
 * statement of the transaction (its createdAt is set by Prisma as the
 * statement is sent, so the figure also holds the COMMIT round trip).
 * Every subscriber lives in the bench process, so the figure includes the
 * bench's own time to read every copy.
 */
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import { type EngineContext, repeat } from "./context.js";
import { epochMs } from "./database.js";
import { type Percentiles, percentiles } from "./stats.js";
import { gatedChain } from "./workflows.js";

const CHAIN_LENGTH = 20;
const SECTION = "Live updates: step commit → graphql-ws subscriber (executionUpdated)";
const QUERY = "subscription ($id: ID!) { executionUpdated(id: $id) { seq kind status } }";
/** Subscriptions opened at once, then awaited before the next batch. */
const BATCH = 100;
const DEADLINE_MS = 60_000;

interface Update {
  seq: number;
  kind: "SNAPSHOT" | "EXECUTION" | "STEP";
  status: string;
}

interface Subscriber {
  /** seq of the SNAPSHOT: later changes are the live ones. */
  snapshot: Promise<number>;
  /** Resolves when the execution's final status arrived. */
  done: Promise<void>;
  /** Step changes received, with when (ms since the epoch, sub-millisecond). */
  steps: { seq: number; at: number }[];
  unsubscribe: () => void;
}

export async function measureLive(ctx: EngineContext): Promise<void> {
  const workflowId = await ctx.api.createWorkflow(gatedChain(ctx.target.url("/gate/{{execution.id}}"), CHAIN_LENGTH));
  for (const subscribers of ctx.options.subscribers) {
    const sockets = Math.min(subscribers, ctx.options.sockets);
    const how =
      sockets === subscribers
        ? `${subscribers} subscriber${subscribers === 1 ? "" : "s"}, one WebSocket each`
        : `${subscribers} subscribers over ${sockets} WebSockets`;
    const runs = await repeat(ctx, `live updates, ${how}`, () => oneRun(ctx, workflowId, subscribers, sockets));
    ctx.report.latency(SECTION, how, runs);
  }
}

async function oneRun(ctx: EngineContext, workflowId: string, count: number, sockets: number): Promise<Percentiles> {
  const executionId = await ctx.api.startExecution(workflowId);
  const url = `${ctx.fleet.serverUrl.replace(/^http/, "ws")}/graphql`;
  const clients = Array.from({ length: sockets }, () =>
    createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true }),
  );
  const subscribers: Subscriber[] = [];
  try {
    for (let i = 0; i < count; i += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, count - i) }, (_, j) =>
        subscribe(clients[(i + j) % sockets] as Client, executionId),
      );
      subscribers.push(...batch);
      await withDeadline(Promise.all(batch.map((s) => s.snapshot)), "subscribers to receive their SNAPSHOT");
    }
    const serverCpu = ctx.fleet.server.cpuSeconds() ?? Number.NaN;
    const benchCpu = process.cpuUsage();
    const opened = performance.now();
    ctx.target.openGate(executionId);
    await withDeadline(Promise.all(subscribers.map((s) => s.done)), "subscribers to see the execution finish");
    const cpu = (process.cpuUsage(benchCpu).user + process.cpuUsage(benchCpu).system) / 1e6;
    ctx.report.note(
      `live, ${count} subscribers: ${((performance.now() - opened) / 1000).toFixed(2)} s from gate to last delivery; CPU meanwhile: server ${((ctx.fleet.server.cpuSeconds() ?? Number.NaN) - serverCpu).toFixed(2)} s, bench ${cpu.toFixed(2)} s`,
    );
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
  if (latencies.length < expected) {
    ctx.report.note(
      `live updates, ${count} subscribers: ${expected - latencies.length} of ${expected} step changes not delivered`,
    );
  }
  return percentiles(latencies);
}

function subscribe(client: Client, executionId: string): Subscriber {
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
        else if (update.kind === "STEP") steps.push({ seq: update.seq, at });
        else if (FINAL.has(update.status)) done.resolve();
      },
      error: (error) => fail(error instanceof Error ? error : new Error(`subscription closed: ${String(error)}`)),
      // Also called after we unsubscribe; by then `done` has settled and this changes nothing.
      complete: () => fail(new Error("subscription ended before the execution finished")),
    },
  );
  return { snapshot: snapshot.promise, done: done.promise, steps, unsubscribe };
}

const FINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);

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

async function withDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${DEADLINE_MS / 1000} s waiting for ${what}`)),
      DEADLINE_MS,
    );
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
