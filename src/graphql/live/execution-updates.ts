/**
 * The stream behind `executionUpdated(id, afterSeq)`: first the current state
 * (or, with afterSeq, every change the client missed, from the change log),
 * then live changes from the bus. Pub/sub is at most once, so gaps in seq are
 * filled from the change log, and a quiet stream checks the log now and then.
 */
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

const QUIET = Symbol("quiet");

export async function* executionUpdates(
  ctx: GraphQLContext,
  executionId: string,
  afterSeq: number | null | undefined,
  quietCheckMs = QUIET_CHECK_MS,
): AsyncGenerator<ExecutionUpdate> {
  // Listen before reading, so nothing committed after the read can slip between.
  const live = ctx.bus.pubsub.subscribe("executionUpdated", executionId)[Symbol.asyncIterator]();
  let next = live.next();
  try {
    const execution = await ctx.db.execution.findUnique({
      where: { id: executionId },
      select: { seq: true, status: true },
    });
    if (!execution) throw new NotFoundError("Execution", executionId);

    let last: number;
    if (afterSeq === null || afterSeq === undefined) {
      yield { kind: "SNAPSHOT", seq: execution.seq, executionId, stepId: null, nodeId: null, status: execution.status };
      last = execution.seq;
    } else {
      last = afterSeq;
      for (const missed of await changesBetween(ctx, executionId, last)) {
        yield missed;
        last = missed.seq;
      }
    }

    for (;;) {
      const result = await raceWithTimer(next, quietCheckMs);
      if (result === QUIET) {
        for (const missed of await changesBetween(ctx, executionId, last)) {
          yield missed;
          last = missed.seq;
        }
        continue;
      }
      if (result.done) return;
      next = live.next();
      const change = result.value;
      if (change.seq <= last) continue; // already delivered by the replay
      if (change.seq > last + 1) {
        for (const missed of await changesBetween(ctx, executionId, last, change.seq)) {
          yield missed;
          last = missed.seq;
        }
      }
      yield fromBus(change);
      last = change.seq;
    }
  } finally {
    await live.return?.();
  }
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

function fromBus(change: ExecutionChanged | StepChanged): ExecutionUpdate {
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
