/**
 * The stream behind `executionUpdated(id, afterSeq)`: first the current state
 * (or, with afterSeq, every change the client missed, from the change log),
 * then live changes from the bus. Pub/sub is at most once, so gaps in seq are
 * filled from the change log, and a quiet stream checks the log now and then.
 *
 * The stream completes once the execution's final status (SUCCEEDED, FAILED,
 * CANCELLED, SKIPPED) is delivered, with the rest of the batch that brought it (the
 * commit's other changes: the steps a cancel or failure closed). A FAILED
 * execution may be retried and run on: its stream still completes at FAILED,
 * and a client following the retry subscribes again with afterSeq.
 */

import { AsyncQueue } from "../../bus/async-queue.js";
import type { ExecutionChanged, StepChanged } from "../../bus/topics.js";
import { NotFoundError } from "../../errors.js";
import type { GraphQLContext } from "../context.js";
import { changesBetween, type ExecutionUpdate, fromBus } from "./execution-update.js";

export type { ExecutionUpdate, ExecutionUpdateKind } from "./execution-update.js";

/** How long a stream may stay silent before it checks the change log for missed messages. */
export const QUIET_CHECK_MS = 3000;

/** How long a new stream waits for its subscription to be confirmed before reading anyway. */
const LISTEN_WAIT_MS = 1000;

const FINAL_STATUSES: ReadonlySet<string> = new Set(["SUCCEEDED", "FAILED", "CANCELLED", "SKIPPED"]);

type Change = ExecutionChanged | StepChanged;

/**
 * Driven by the bus's callbacks rather than a loop awaiting each change: a
 * change in order goes straight to the output, with no promise of its own (a
 * thousand subscribers of one execution multiply every step here). Only a
 * gap, the first read and the quiet check read the change log; changes heard
 * meanwhile wait their turn behind the read.
 *
 * Ending is immediate: a client that goes away returns the output, which
 * stops listening and checking at once.
 */
export function executionUpdates(
  ctx: GraphQLContext,
  executionId: string,
  afterSeq: number | null | undefined,
  quietCheckMs = QUIET_CHECK_MS,
): AsyncQueue<ExecutionUpdate> {
  return new UpdateStream(ctx, executionId, afterSeq, quietCheckMs).output;
}

class UpdateStream {
  readonly output: AsyncQueue<ExecutionUpdate>;
  /** The seq of the last change delivered. */
  private last: number;
  /** Set while the change log is read: changes heard meanwhile, in order. */
  private held: Change[] | undefined = [];
  private heardSinceCheck = false;
  /** The execution's latest known status, and the seq that set it (or of the row it was read from). */
  private status = "";
  private statusSeq = 0;
  private completionCheckQueued = false;
  private readonly unlisten: () => void;
  private readonly quietCheck: NodeJS.Timeout;

  constructor(
    private readonly ctx: GraphQLContext,
    private readonly executionId: string,
    afterSeq: number | null | undefined,
    quietCheckMs: number,
  ) {
    this.last = afterSeq ?? 0;
    this.output = new AsyncQueue<ExecutionUpdate>(() => this.ended());
    ctx.subscriptionsOpen.inc();
    // Listen before reading, so nothing committed after the read can slip between.
    this.unlisten = ctx.bus.listen("executionUpdated", executionId, (change) => this.heard(change));
    // Checks after between one and two quiet periods: one interval per stream, not a timer per change.
    this.quietCheck = setInterval(() => {
      if (!this.heardSinceCheck && !this.held) void this.readLog();
      this.heardSinceCheck = false;
    }, quietCheckMs);
    void this.start(afterSeq);
  }

  private async start(afterSeq: number | null | undefined): Promise<void> {
    // Bounded: with Redis down the snapshot still comes, and the quiet check covers the rest.
    await waitAtMost(this.ctx.bus.listening("executionUpdated", this.executionId), LISTEN_WAIT_MS).catch(() => {});
    let execution: { seq: number; status: string };
    try {
      const found = await this.ctx.db.execution.findUnique({
        where: { id: this.executionId },
        select: { seq: true, status: true },
      });
      if (!found) throw new NotFoundError("Execution", this.executionId);
      execution = found;
    } catch (error) {
      this.output.end(error);
      return;
    }
    this.learnStatus(execution.status, execution.seq);
    // A replay ends finished once it reaches the row's seq (at once when the client has seen it all).
    // Unless retention compacted the log it needs (engine/retention.ts): then the snapshot stands for it.
    if (afterSeq !== null && afterSeq !== undefined && !(await this.logCompacted(afterSeq, execution.seq))) {
      return this.readLog();
    }
    const { executionId } = this;
    this.deliver({
      kind: "SNAPSHOT",
      seq: execution.seq,
      executionId,
      stepId: null,
      nodeId: null,
      status: execution.status,
    });
    this.release();
  }

  /** True when changes after `afterSeq` happened but the first of them is no longer logged. */
  private async logCompacted(afterSeq: number, seq: number): Promise<boolean> {
    if (afterSeq >= seq) return false;
    try {
      const next = await this.ctx.db.executionChange.findUnique({
        where: { executionId_seq: { executionId: this.executionId, seq: afterSeq + 1 } },
        select: { seq: true },
      });
      return next === null;
    } catch {
      return false; // readLog reports the database's error
    }
  }

  private heard(change: Change): void {
    this.heardSinceCheck = true;
    if (this.held) this.held.push(change);
    else this.handle(change);
  }

  private handle(change: Change): void {
    if (change.seq <= this.last) return; // already delivered (by a read of the log)
    if (change.seq === this.last + 1) this.deliver(fromBus(change));
    // Pub/sub lost something: read the gap from the log, then this change.
    else void this.readLog(change.seq, change);
  }

  /** Delivers the logged changes after `last` (and before `beforeSeq`), then what was heard meanwhile. */
  private async readLog(beforeSeq?: number, first?: Change): Promise<void> {
    this.held ??= [];
    if (first) this.held.unshift(first);
    try {
      for (const update of await changesBetween(this.ctx, this.executionId, this.last, beforeSeq)) this.deliver(update);
    } catch (error) {
      this.output.end(error);
      return;
    }
    this.release();
    this.completeIfFinished();
  }

  /** Handles the changes held during a read, in order; a new gap holds the rest again. */
  private release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const change of held) this.heard(change);
  }

  private deliver(update: ExecutionUpdate): void {
    this.output.push(update);
    this.last = update.seq;
    if (update.kind !== "STEP") this.learnStatus(update.status, update.seq);
    this.completeIfFinished();
  }

  private learnStatus(status: string, seq: number): void {
    if (seq < this.statusSeq) return;
    this.status = status;
    this.statusSeq = seq;
  }

  /**
   * Completes the stream if the execution is finished and everything up to
   * its final status was delivered, checked once the batch being delivered is
   * through: a bus message's changes are handled in one go, so the rest of
   * the commit (and a retry's RUNNING right after a FAILED) is seen first.
   * During a read of the log the check waits for the read.
   */
  private completeIfFinished(): void {
    if (this.completionCheckQueued || !FINAL_STATUSES.has(this.status)) return;
    this.completionCheckQueued = true;
    queueMicrotask(() => {
      this.completionCheckQueued = false;
      if (!this.held && FINAL_STATUSES.has(this.status) && this.last >= this.statusSeq) this.output.end();
    });
  }

  private ended(): void {
    this.unlisten();
    clearInterval(this.quietCheck);
    this.ctx.subscriptionsOpen.dec();
  }
}

/** Waits for `promise`, but no longer than `ms`. */
async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
