/**
 * Every state change of an execution happens in one transaction that first
 * locks the execution row. That serialises the changes of one execution (so two
 * paths finishing at once cannot both miss that a join became ready), and it
 * is where each change gets the next per-execution sequence number.
 */
import type { Db } from "../../db/client.js";
import { NotFoundError } from "../../errors.js";
import type { Prisma } from "../../generated/prisma/client.js";
import type { ExecutionStatus, StepStatus } from "../../generated/prisma/enums.js";
import type { EngineChange, StepJob } from "../ports.js";

export type Tx = Prisma.TransactionClient;

export interface LockedExecution {
  id: string;
  workflowId: string;
  workflowVersion: number;
  status: ExecutionStatus;
  seq: number;
}

export const ACTIVE_EXECUTION: ReadonlySet<ExecutionStatus> = new Set(["PENDING", "RUNNING"]);
export const ACTIVE_STEP_STATUSES: StepStatus[] = ["PENDING", "RUNNING", "WAITING"];

/** Collects what a transaction changed: changes to publish and jobs to enqueue once it commits. */
export class ChangeSet {
  readonly changes: EngineChange[] = [];
  readonly jobs: StepJob[] = [];
  /** Fields of the execution row to write at the end of the transaction. */
  executionPatch: Prisma.ExecutionUpdateInput = {};

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

  executionStatus(status: ExecutionStatus, patch: Prisma.ExecutionUpdateInput = {}): void {
    this.execution.status = status;
    Object.assign(this.executionPatch, patch, { status });
    const { id: executionId, workflowId } = this.execution;
    this.changes.push({ type: "execution", executionId, workflowId, status, seq: ++this.execution.seq });
  }

  /**
   * Creates a step row numbered with the seq of its own creation change, so
   * steps sort in execution order, and records that change.
   */
  async createStep(
    tx: Tx,
    data: { nodeId: string; type: string; status?: StepStatus; finishedAt?: Date },
  ): Promise<{ id: string; nodeId: string; status: StepStatus }> {
    const step = await tx.step.create({
      data: { ...data, executionId: this.execution.id, seq: this.execution.seq + 1 },
      select: { id: true, nodeId: true, status: true },
    });
    this.step(step);
    return step;
  }

  /** Announces a just-created execution (its row already holds its status and seq). */
  executionCreated(): void {
    const { id: executionId, workflowId, status } = this.execution;
    this.changes.push({ type: "execution", executionId, workflowId, status, seq: ++this.execution.seq });
  }

  notification(notification: { id: string; stepId: string; toRole: string }): void {
    this.changes.push({
      type: "notification",
      notificationId: notification.id,
      executionId: this.execution.id,
      stepId: notification.stepId,
      toRole: notification.toRole,
    });
  }

  enqueue(job: StepJob): void {
    this.jobs.push(job);
  }

  /** Writes the execution's numbered changes to its change log, in the caller's transaction. */
  async persist(tx: Tx): Promise<void> {
    const rows = this.changes.flatMap((change): Prisma.ExecutionChangeCreateManyInput[] => {
      if (change.type === "execution") {
        return [{ executionId: change.executionId, seq: change.seq, kind: "execution", status: change.status }];
      }
      if (change.type === "step") {
        const { executionId, seq, stepId, nodeId, status } = change;
        return [{ executionId, seq, kind: "step", stepId, nodeId, status }];
      }
      return [];
    });
    if (rows.length > 0) await tx.executionChange.createMany({ data: rows });
  }
}

export async function inExecutionTransaction<T>(
  db: Db,
  executionId: string,
  work: (tx: Tx, changes: ChangeSet) => Promise<T>,
): Promise<{ result: T; changes: ChangeSet }> {
  return db.$transaction(async (tx) => {
    const [execution] = await tx.$queryRaw<LockedExecution[]>`
      SELECT id, "workflowId", "workflowVersion", status::text AS status, seq
      FROM "Execution" WHERE id = ${executionId} FOR UPDATE`;
    if (!execution) throw new NotFoundError("Execution", executionId);
    const startSeq = execution.seq;
    const changes = new ChangeSet(execution);
    const result = await work(tx, changes);
    if (execution.seq !== startSeq) {
      await tx.execution.update({
        where: { id: executionId },
        data: { ...changes.executionPatch, seq: execution.seq },
      });
      await changes.persist(tx);
    }
    return { result, changes };
  });
}
