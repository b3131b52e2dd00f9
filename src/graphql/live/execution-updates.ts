/**
 * The stream behind `executionUpdated(id, afterSeq)`: first the current state
 * (or, with afterSeq, every change the client missed, from the change log),
 * then live changes from the bus. Pub/sub is at most once, so gaps in seq are
 * filled from the change log, and a quiet stream checks the log now and then.
 */

import { Repeater } from "graphql-yoga";
import type { ExecutionChanged, StepChanged } from "../../bus/topics.js";
import { NotFoundError } from "../../errors.js";
import type { GraphQLContext } from "../context.js";

export type ExecutionUpdateKind = "SNAPSHOT" | "EXECUTION" | "STEP";

export interface ExecutionUpdate {
  kind: ExecutionUpdateKind;
  seq: number;
  executionId: string;
  stepId: string | null;
  nodeId: string | null;
  status: string;
}

/** How long a stream may stay silent before it checks the change log for missed messages. */
export const QUIET_CHECK_MS = 3000;

/** How long a new stream waits for its subscription to be confirmed before reading anyway. */
const LISTEN_WAIT_MS = 1000;

const QUIET = Symbol("quiet");
const STOPPED = Symbol("stopped");

/**
 * A Repeater rather than an async generator: a client that goes away must end
 * the stream at once, and a generator waiting for the next change could only
 * notice at its next yield, keeping its Redis subscription open until then.
 */
export function executionUpdates(
  ctx: GraphQLContext,
  executionId: string,
  afterSeq: number | null | undefined,
  quietCheckMs = QUIET_CHECK_MS,
): Repeater<ExecutionUpdate> {
  return new Repeater<ExecutionUpdate>(async (push, stop) => {
    // Counted here rather than by wrapping in countOpen: one async layer fewer for every
    // delivered change, which a thousand subscribers of one execution multiply.
    ctx.subscriptionsOpen.inc();
    // Listen before reading, so nothing committed after the read can slip between: the first
    // pull adds the listener, and the read waits until the subscription is confirmed live.
    const live = ctx.bus.subscribe("executionUpdated", executionId)[Symbol.asyncIterator]();
    let next = live.next();
    let stopped = false;
    const stopping = stop.then((): typeof STOPPED => {
      stopped = true;
      return STOPPED;
    });
    let last = afterSeq ?? 0;
    const emit = async (updates: ExecutionUpdate[]) => {
      for (const update of updates) {
        if (stopped) return;
        await push(update);
        last = update.seq;
      }
    };
    let silence: QuietWatch | undefined;
    try {
      // Bounded: with Redis down the snapshot still comes, and the quiet check covers the rest.
      await raceWithTimer(ctx.bus.listening("executionUpdated", executionId), LISTEN_WAIT_MS).catch(() => undefined);
      const execution = await ctx.db.execution.findUnique({
        where: { id: executionId },
        select: { seq: true, status: true },
      });
      if (!execution) throw new NotFoundError("Execution", executionId);
      if (afterSeq === null || afterSeq === undefined) {
        await emit([
          { kind: "SNAPSHOT", seq: execution.seq, executionId, stepId: null, nodeId: null, status: execution.status },
        ]);
      } else {
        await emit(await changesBetween(ctx, executionId, last));
      }
      // One timer per stream, not one armed and cleared per delivery (a thousand subscribers of
      // one execution otherwise arm a thousand timers for every change).
      silence = new QuietWatch(quietCheckMs);
      while (!stopped) {
        const result = await Promise.race([next, stopping, silence.quiet]);
        if (result === STOPPED) break;
        if (result === QUIET) {
          silence.rearm();
          await emit(await changesBetween(ctx, executionId, last));
          continue;
        }
        if (result.done) break;
        silence.heard();
        next = live.next();
        const change = result.value;
        if (change.seq <= last) continue; // already delivered by the replay
        if (change.seq > last + 1) await emit(await changesBetween(ctx, executionId, last, change.seq));
        await emit([fromBus(change)]);
      }
      stop();
    } catch (error) {
      stop(error);
    } finally {
      ctx.subscriptionsOpen.dec();
      silence?.stop();
      await live.return?.();
    }
  });
}

/** Changes with afterSeq < seq < beforeSeq (no upper bound when beforeSeq is undefined), in order. */
async function changesBetween(
  ctx: GraphQLContext,
  executionId: string,
  afterSeq: number,
  beforeSeq?: number,
): Promise<ExecutionUpdate[]> {
  const rows = await ctx.db.executionChange.findMany({
    where: { executionId, seq: { gt: afterSeq, ...(beforeSeq === undefined ? {} : { lt: beforeSeq }) } },
    orderBy: { seq: "asc" },
  });
  return rows.map((row) => ({
    kind: row.kind === "step" ? "STEP" : "EXECUTION",
    seq: row.seq,
    executionId,
    stepId: row.stepId,
    nodeId: row.nodeId,
    status: row.status,
  }));
}

/**
 * Every subscriber of an execution receives the same change object (one parsed
 * bus message), and gets the same update object for it: the WebSocket server
 * then executes and serializes it once for all of them (ws/operations.ts).
 */
const updatesByChange = new WeakMap<ExecutionChanged | StepChanged, ExecutionUpdate>();

function fromBus(change: ExecutionChanged | StepChanged): ExecutionUpdate {
  let update = updatesByChange.get(change);
  if (!update) {
    update = toUpdate(change);
    updatesByChange.set(change, update);
  }
  return update;
}

function toUpdate(change: ExecutionChanged | StepChanged): ExecutionUpdate {
  return change.kind === "step"
    ? {
        kind: "STEP",
        seq: change.seq,
        executionId: change.executionId,
        stepId: change.stepId,
        nodeId: change.nodeId,
        status: change.status,
      }
    : {
        kind: "EXECUTION",
        seq: change.seq,
        executionId: change.executionId,
        stepId: null,
        nodeId: null,
        status: change.status,
      };
}

/**
 * Resolves `quiet` once a whole period of `ms` went by with nothing heard, so
 * the check comes after between one and two periods of silence.
 */
class QuietWatch {
  quiet!: Promise<typeof QUIET>;
  private resolve!: (value: typeof QUIET) => void;
  private heardSinceTick = false;
  private readonly timer: NodeJS.Timeout;

  constructor(ms: number) {
    this.rearm();
    this.timer = setInterval(() => {
      if (!this.heardSinceTick) this.resolve(QUIET);
      this.heardSinceTick = false;
    }, ms);
  }

  heard(): void {
    this.heardSinceTick = true;
  }

  /** After a quiet period was handled: wait for the next one. */
  rearm(): void {
    this.quiet = new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

async function raceWithTimer<T>(promise: Promise<T>, ms: number): Promise<T | typeof QUIET> {
  let timer: NodeJS.Timeout | undefined;
  const quiet = new Promise<typeof QUIET>((resolve) => {
    timer = setTimeout(() => resolve(QUIET), ms);
  });
  try {
    return await Promise.race([promise, quiet]);
  } finally {
    clearTimeout(timer);
  }
}
