/**
 * The live state of one execution, fed by `executionUpdated` (and by queries),
 * ordered by `seq`: every change carries the execution's seq, which only grows.
 *
 * - A change whose seq the store has already seen is a repeat and is dropped.
 * - `resumeAfter` is the last seq received from the stream: after a dropped
 *   connection or a server restart, subscribing again with it as `afterSeq`
 *   replays exactly the changes missed.
 * - Steps read by a query (after the snapshot) are merged per step, keeping the
 *   state with the highest seq, so a query and the stream can interleave freely.
 *
 * Listeners are told at most once per `schedule` tick (a frame in the browser),
 * so 50 changes a second cost a handful of renders.
 */

export type StepStatus = "PENDING" | "RUNNING" | "WAITING" | "SUCCEEDED" | "FAILED" | "SKIPPED" | "CANCELLED";
export type ExecutionStatus = "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED" | "SKIPPED";

export interface StepState {
  id: string;
  nodeId: string;
  type: string;
  status: StepStatus | string;
  seq: number;
  attempt: number;
  input?: unknown;
  output?: unknown;
  error?: string | null;
  createdAt?: string;
  startedAt?: string | null;
  finishedAt?: string | null;
  durationMs?: number | null;
  resumeAt?: string | null;
  /** While a wait_for_event step waits: the rule an event must satisfy. */
  waitingFor?: unknown;
}

export interface ExecutionState {
  id: string;
  status: ExecutionStatus | string;
  seq: number;
  error?: string | null;
  startedAt?: string | null;
  finishedAt?: string | null;
  durationMs?: number | null;
}

export interface ExecutionUpdateInput {
  seq: number;
  kind: "SNAPSHOT" | "EXECUTION" | "STEP" | string;
  status: string;
  nodeId?: string | null;
  execution?: Partial<ExecutionState> | null;
  step?: Partial<StepState> | null;
}

/** The store as of one version, immutable: what a render reads (the store itself keeps changing). */
export interface ExecutionSnapshot {
  version: number;
  current: ExecutionState | undefined;
  finished: boolean;
  resumeAfter: number | undefined;
  /** In execution order; a step object is the same as in the last snapshot unless it changed. */
  steps: readonly StepState[];
  /** Per node, the status of its latest step. */
  statuses: ReadonlyMap<string, string>;
}

/** An execution SKIPPED by flow control never ran: final too. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(["SUCCEEDED", "FAILED", "CANCELLED", "SKIPPED"]);

export type Schedule = (flush: () => void) => void;

const immediate: Schedule = (flush) => flush();

export class ExecutionLiveStore {
  private execution: ExecutionState | undefined;
  private readonly steps = new Map<string, StepState>();
  private lastSeq: number | undefined;
  private readonly listeners = new Set<() => void>();
  private flushQueued = false;
  private version = 0;
  private snapshotCache: ExecutionSnapshot | undefined;
  /** How many changes were dropped as repeats (for tests and the page's debug line). */
  repeats = 0;

  constructor(private readonly schedule: Schedule = immediate) {}

  /** The seq to pass as afterSeq when subscribing again; undefined before anything arrived (ask for a snapshot). */
  get resumeAfter(): number | undefined {
    return this.lastSeq;
  }

  get snapshotVersion(): number {
    return this.version;
  }

  get current(): ExecutionState | undefined {
    return this.execution;
  }

  get finished(): boolean {
    return this.execution !== undefined && FINAL_STATUSES.has(this.execution.status);
  }

  /** The state as of now, computed once per version (a frame's worth of changes). */
  snapshot(): ExecutionSnapshot {
    if (this.snapshotCache?.version === this.version) return this.snapshotCache;
    const steps = this.stepList();
    const statuses = new Map<string, string>();
    for (const step of steps) statuses.set(step.nodeId, step.status);
    this.snapshotCache = {
      version: this.version,
      current: this.execution,
      finished: this.finished,
      resumeAfter: this.lastSeq,
      steps,
      statuses,
    };
    return this.snapshotCache;
  }

  /** Steps in the order they were created (execution order). */
  stepList(): StepState[] {
    // ISO times compare as strings (and plain comparison, unlike localeCompare, costs next to nothing).
    const at = (step: StepState) => step.createdAt ?? "";
    return [...this.steps.values()].sort((a, b) => (at(a) < at(b) ? -1 : at(a) > at(b) ? 1 : a.seq - b.seq));
  }

  /** Per node, the status of its latest step (a node may be visited more than once). */
  nodeStatuses(): Map<string, string> {
    const statuses = new Map<string, string>();
    for (const step of this.stepList()) statuses.set(step.nodeId, step.status);
    return statuses;
  }

  /** Applies one change from the stream; false when it was a repeat. */
  apply(update: ExecutionUpdateInput): boolean {
    if (this.lastSeq !== undefined && update.seq <= this.lastSeq) {
      this.repeats++;
      return false;
    }
    this.lastSeq = update.seq;
    if (update.execution)
      this.mergeExecution(update.execution, update.seq, update.kind === "STEP" ? undefined : update.status);
    if (update.kind === "STEP" && update.step?.id) {
      this.mergeStep({ ...update.step, status: update.status, seq: update.seq });
    }
    this.changed();
    return true;
  }

  /** Merges steps read by a query: per step, the state with the highest seq wins. */
  mergeSteps(steps: readonly Partial<StepState>[]): void {
    for (const step of steps) this.mergeStep(step);
    this.changed();
  }

  /** Merges the execution as read by a query (its own seq orders it against the stream). */
  mergeExecutionRead(execution: Partial<ExecutionState> & { seq: number }): void {
    this.mergeExecution(execution, execution.seq, execution.status);
    this.changed();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private mergeExecution(execution: Partial<ExecutionState>, seq: number, status: string | undefined): void {
    const previous = this.execution;
    if (previous && previous.seq > seq) return;
    this.execution = {
      ...previous,
      ...execution,
      id: execution.id ?? previous?.id ?? "",
      status: status ?? execution.status ?? previous?.status ?? "PENDING",
      seq,
    } as ExecutionState;
  }

  private mergeStep(step: Partial<StepState>): void {
    if (!step.id || step.seq === undefined) return;
    const previous = this.steps.get(step.id);
    if (previous && previous.seq >= step.seq) return;
    this.steps.set(step.id, { ...previous, ...step } as StepState);
  }

  private changed(): void {
    this.version++;
    if (this.flushQueued) return;
    this.flushQueued = true;
    this.schedule(() => {
      this.flushQueued = false;
      for (const listener of this.listeners) listener();
    });
  }
}
