/**
 * What one change of an execution writes and announces, collected before it
 * is written: new step rows, execution fields, the numbered change log (each
 * change gets the execution's next seq), jobs to enqueue and changes to
 * publish once it commits. Every store operation builds one; change-set-sql.ts
 * writes it, afterCommit (runner/after-commit.ts) enqueues and publishes it.
 */
import { randomUUID } from "node:crypto";
import type { ExecutionStatus, StepStatus } from "../../generated/prisma/enums.js";
import type { PlannedStep } from "../plan-successors.js";
import type { EngineChange, StepJob } from "../ports.js";

export interface LockedExecution {
  id: string;
  workflowId: string;
  workflowVersion: number;
  status: ExecutionStatus;
  seq: number;
  /**
   * Set for a child execution (call_workflow, for_each): when it ends, a job wakes the parent's
   * step (runner/after-commit.ts). Read by the statements that may end an execution.
   */
  parentExecutionId?: string | null;
  parentStepId?: string | null;
  /** Set for a scheduled execution whose schedule buffers the next firing (buffer_one): its end wakes the schedule. */
  wakesScheduleId?: string | null;
  /**
   * Its workflow is paused (pauseWorkflow), as the lock read it: the transaction claims no
   * successor for its caller, whose job then stops; the steps it creates wait for resumeWorkflow.
   */
  workflowPaused?: boolean;
}

export const ACTIVE_EXECUTION: ReadonlySet<ExecutionStatus> = new Set(["PENDING", "RUNNING"]);
export const FINAL_EXECUTION: ReadonlySet<ExecutionStatus> = new Set(["SUCCEEDED", "FAILED", "CANCELLED", "SKIPPED"]);
export const ACTIVE_STEP_STATUSES: StepStatus[] = ["PENDING", "RUNNING", "WAITING"];

/** Fields of the execution row a transaction may change besides its seq. */
export interface ExecutionPatch {
  status?: ExecutionStatus;
  startedAt?: Date;
  finishedAt?: Date | null;
  error?: string | null;
}

/** A notification a handler sent, stored with its step's outcome. */
export interface PendingNotification {
  toRole: string;
  message: string;
}

/** A step row to insert when the transaction ends. */
export interface NewStep {
  id: string;
  nodeId: string;
  type: string;
  status: StepStatus;
  seq: number;
  finishedAt?: Date;
  /** Set when the step is created already claimed by the caller (it runs it next, without a job). */
  claim?: { attempt: number; startedAt: Date; leaseUntil: Date };
  /**
   * Set when the step is created already run (in memory, right after its
   * predecessor): SUCCEEDED, attempt 1, started and finished at `finishedAt`,
   * the instant the steps recorded together were recorded.
   */
  ran?: RanStep;
}

/** What a step run in memory, straight after its predecessor, left to record with it. */
export interface RanStep {
  input: unknown;
  output: unknown;
  next: readonly string[];
}

/** A step run in memory right after the step before it (see NodeHandler.runsInMemory). */
export interface RanAhead {
  nodeId: string;
  type: string;
  ran: RanStep;
  notifications: readonly PendingNotification[];
  /** What the completion of the step before it plans: this step (PENDING) and any it skips. */
  createdWith: readonly PlannedStep[];
}

/** What one change of an execution writes, announces and enqueues (see the header). */
export class ChangeSet {
  readonly changes: EngineChange[] = [];
  readonly jobs: StepJob[] = [];
  readonly newSteps: NewStep[] = [];
  readonly newNotifications: { id: string; stepId: string; toRole: string; message: string }[] = [];
  executionPatch: ExecutionPatch = {};
  /** The execution entered the line for capacity: admission of its workflow must run after commit. */
  admits = false;
  /**
   * Changes of other executions written in the same transaction (children a step started, or
   * cancelled with their parent): enqueued and published with this set.
   */
  readonly others: ChangeSet[] = [];

  constructor(readonly execution: LockedExecution) {}

  step(step: { id: string; nodeId: string; status: StepStatus }): void {
    const { id: executionId, workflowId } = this.execution;
    const seq = ++this.execution.seq;
    this.changes.push({
      type: "step",
      executionId,
      workflowId,
      stepId: step.id,
      nodeId: step.nodeId,
      status: step.status,
      seq,
    });
  }

  executionStatus(status: ExecutionStatus, patch: Omit<ExecutionPatch, "status"> = {}): void {
    this.execution.status = status;
    Object.assign(this.executionPatch, patch, { status });
    const { id: executionId, workflowId } = this.execution;
    this.changes.push({ type: "execution", executionId, workflowId, status, seq: ++this.execution.seq });
  }

  /**
   * Marks the last execution change as one that ends the calls its running
   * steps wait on (a timeout): workers abort them as for a cancel.
   */
  abortRunning(): void {
    const last = this.changes.findLast((change) => change.type === "execution");
    if (last?.type === "execution") last.abortsRunning = true;
  }

  /**
   * Adds a step row (written when the transaction ends), numbered with the seq
   * of its own creation change so steps sort in execution order. A claimed
   * step is announced as created (PENDING), then as RUNNING, like any other.
   */
  createStep(data: Omit<NewStep, "id" | "seq">): { id: string; nodeId: string; status: StepStatus } {
    const created = { ...data, id: randomUUID(), seq: this.execution.seq + 1 };
    this.newSteps.push(created);
    this.step({ id: created.id, nodeId: created.nodeId, status: data.claim ? "PENDING" : data.status });
    if (data.claim) this.step({ id: created.id, nodeId: created.nodeId, status: "RUNNING" });
    return { id: created.id, nodeId: created.nodeId, status: data.status };
  }

  /**
   * Adds the row of a step that already ran (SUCCEEDED), announced as
   * created, RUNNING and SUCCEEDED like a step that ran on its own, with the
   * notifications it sent.
   */
  createRanStep(
    data: { nodeId: string; type: string; ran: RanStep; notifications: readonly PendingNotification[] },
    at: Date,
  ): void {
    const { nodeId, type, ran } = data;
    const created = { nodeId, type, status: "SUCCEEDED" as const, finishedAt: at, ran };
    const step = { ...created, id: randomUUID(), seq: this.execution.seq + 1 };
    this.newSteps.push(step);
    for (const status of ["PENDING", "RUNNING", "SUCCEEDED"] as const) this.step({ id: step.id, nodeId, status });
    this.notifications(step.id, data.notifications);
  }

  /** Announces a just-created execution (its row already holds its status). */
  executionCreated(): void {
    const { id: executionId, workflowId, status } = this.execution;
    this.changes.push({ type: "execution", executionId, workflowId, status, seq: ++this.execution.seq });
  }

  /**
   * Stores what a step's handler sent (written when the transaction ends, then
   * published). At most one per step: the unique index keeps the first, so a
   * step run again after a lost worker does not notify twice.
   */
  notifications(stepId: string, sent: readonly PendingNotification[]): void {
    for (const { toRole, message } of sent) {
      const id = randomUUID();
      this.newNotifications.push({ id, stepId, toRole, message });
      this.changes.push({ type: "notification", notificationId: id, executionId: this.execution.id, stepId, toRole });
    }
  }

  enqueue(job: StepJob): void {
    this.jobs.push(job);
  }

  /**
   * Moves every number of this set up by `base`: for a set built from seq 0
   * before the statement that wrote it told the execution's real seq.
   */
  rebase(base: number): void {
    this.execution.seq += base;
    for (const step of this.newSteps) step.seq += base;
    for (const change of this.changes) if (change.type !== "notification") change.seq += base;
  }
}
