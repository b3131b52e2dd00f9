/**
 * The state changes of a step, each one transaction on the locked execution.
 * Every update is conditional on the state the caller saw (status and attempt),
 * so a step that finished, or was taken over after its lease expired, is never
 * moved twice: the late writer simply changes nothing.
 *
 * These run once or twice per step, so they are written as raw SQL with as few
 * round trips as the guarantees allow: lock, one conditional update (which for
 * a finished step also reads the execution's steps), and one statement that
 * writes new steps, the execution and its change log (ChangeSet.persist). The
 * claim, and most finishes, need no read before their write and are single
 * statements instead (single-statement.ts).
 */
import type { SqlDb } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";
import {
  type AdvanceOptions,
  advanceExecution,
  type ClaimedStep,
  failExecution,
  readSteps,
  type StepRow,
} from "./advance.js";
import {
  ACTIVE_EXECUTION,
  type ChangeSet,
  inExecutionTransaction,
  type PendingNotification,
  type Tx,
} from "./execution-lock.js";
import { jsonParam } from "./persist-sql.js";
import type { PlannedStep } from "./plan-successors.js";
import { completeInOneStatement, planAfter, type RanAhead } from "./single-statement.js";
import type { PinnedWorkflow } from "./workflow-cache.js";

export { claimStep } from "./single-statement.js";

export interface StepRef {
  stepId: string;
  executionId: string;
  nodeId: string;
}

export interface Finish {
  step: StepRef;
  /** The attempt the caller claimed: the update applies only if it still holds the step. */
  attempt: number;
  input: unknown;
  output: unknown;
  /** What the handler sent; stored only if the caller still holds the step. */
  notifications?: readonly PendingNotification[];
}

type HeldStatus = "SUCCEEDED" | "WAITING" | "PENDING" | "FAILED";

/** Column changes besides status, input, output and the lease. */
interface ReleaseFields {
  next?: readonly string[];
  error?: string | null;
  finishedAt?: Date;
  resumeAt?: Date;
}

/** UPDATE of the step to `status`, recording input and output and ending the lease, if the caller still holds it. */
function releaseSql(finish: Finish, status: HeldStatus, fields: ReleaseFields): Prisma.Sql {
  const sets = [
    Prisma.sql`status = ${status}::"StepStatus"`,
    Prisma.sql`input = ${jsonParam(finish.input)}::jsonb`,
    Prisma.sql`output = ${jsonParam(finish.output)}::jsonb`,
    Prisma.sql`"leaseUntil" = NULL`,
  ];
  if (fields.next !== undefined) sets.push(Prisma.sql`next = ${[...fields.next]}::text[]`);
  if (fields.error !== undefined) sets.push(Prisma.sql`error = ${fields.error}`);
  if (fields.finishedAt !== undefined) sets.push(Prisma.sql`"finishedAt" = ${fields.finishedAt}`);
  if (fields.resumeAt !== undefined) sets.push(Prisma.sql`"resumeAt" = ${fields.resumeAt}`);
  return Prisma.sql`UPDATE "Step" SET ${Prisma.join(sets)}
    WHERE id = ${finish.step.stepId} AND status = 'RUNNING' AND attempt = ${finish.attempt}`;
}

/**
 * Moves a step the caller still holds to `status`, recording its input and
 * output and ending its lease. False when the caller lost the step (it
 * finished elsewhere, or was taken over after the lease).
 */
async function releaseHeld(
  tx: Tx,
  changes: ChangeSet,
  finish: Finish,
  status: HeldStatus,
  fields: ReleaseFields,
): Promise<boolean> {
  const count = await tx.execute(releaseSql(finish, status, fields));
  if (count === 0) return false;
  changes.step({ id: finish.step.stepId, nodeId: finish.step.nodeId, status });
  changes.notifications(finish.step.stepId, finish.notifications ?? []);
  return true;
}

/**
 * releaseHeld for a step that succeeded, reading the execution's steps in the
 * same statement (the read cannot see this statement's own update, so the
 * finished step's row is patched here).
 */
async function releaseSucceeded(
  tx: Tx,
  changes: ChangeSet,
  finish: Finish,
  fields: ReleaseFields & { next: readonly string[] },
): Promise<StepRow[] | undefined> {
  const rows = await tx.query<StepRow & { released: number }>(Prisma.sql`
    WITH released AS (${releaseSql(finish, "SUCCEEDED", fields)} RETURNING 1)
    SELECT "nodeId", status::text AS status, next, (SELECT count(*)::int FROM released) AS released
    FROM "Step" WHERE "executionId" = ${finish.step.executionId}`);
  if (!rows[0]?.released) return undefined;
  changes.step({ id: finish.step.stepId, nodeId: finish.step.nodeId, status: "SUCCEEDED" });
  changes.notifications(finish.step.stepId, finish.notifications ?? []);
  return rows.map(({ nodeId, status, next }) =>
    nodeId === finish.step.nodeId ? { nodeId, status: "SUCCEEDED", next: [...fields.next] } : { nodeId, status, next },
  );
}

/**
 * Steps run in memory after a finished one, and what follows the last of them
 * as planAfter planned it (undefined: nothing; null, only when no step ran
 * ahead: the locked transaction must decide).
 */
export interface Ahead {
  steps: readonly RanAhead[];
  after: readonly PlannedStep[] | undefined | null;
}

/**
 * Returns the successor claimed for the caller (see AdvanceOptions.claimNextForMs),
 * if any. In one statement when no other step can change what comes next,
 * with the steps that ran `ahead` in memory when there are any (if that
 * statement cannot decide, the step is recorded alone and they run again).
 */
export async function completeStep(
  db: SqlDb,
  workflow: PinnedWorkflow,
  finish: Finish & { next: readonly string[] },
  options: AdvanceOptions,
  ahead?: Ahead,
) {
  if (ahead && ahead.steps.length > 0 && ahead.after !== null) {
    const done = await completeInOneStatement(db, workflow, finish, ahead.steps, ahead.after, options);
    if (done) return done;
  }
  // What follows the step alone: the caller planned it already when nothing ran ahead.
  const after =
    ahead?.steps.length === 0
      ? ahead.after
      : planAfter(workflow, finish.step.nodeId, finish.next, options.maxStepsPerExecution);
  if (after !== null) {
    const done = await completeInOneStatement(db, workflow, finish, [], after, options);
    if (done) return done;
  }
  return inExecutionTransaction(db, finish.step.executionId, async (tx, changes) => {
    const fields = { next: finish.next, error: null, finishedAt: options.now };
    const rows = await releaseSucceeded(tx, changes, finish, fields);
    if (!rows) return undefined;
    return advanceExecution(tx, changes, workflow, [finish.step.nodeId], rows, options);
  });
}

/** RUNNING → WAITING until `until`; a job for the end of the wait is enqueued after commit. */
export async function waitStep(db: SqlDb, finish: Finish & { until: Date }) {
  return inExecutionTransaction(db, finish.step.executionId, async (tx, changes) => {
    if (!(await releaseHeld(tx, changes, finish, "WAITING", { resumeAt: finish.until }))) return false;
    const { stepId, executionId } = finish.step;
    changes.enqueue({ stepId, executionId, generation: "w", runAt: finish.until });
    return true;
  });
}

/** WAITING whose time has come → SUCCEEDED, then on to the successors. Fires once: the update is conditional. */
export async function finishWait(
  db: SqlDb,
  workflow: PinnedWorkflow,
  step: StepRef,
  options: AdvanceOptions,
): Promise<{ result: ClaimedStep | undefined; changes: ChangeSet }> {
  return inExecutionTransaction(db, step.executionId, async (tx, changes) => {
    if (changes.execution.status !== "RUNNING") return undefined;
    const next = workflow.index.outgoing(step.nodeId);
    const count = await tx.execute(Prisma.sql`
      UPDATE "Step" SET status = 'SUCCEEDED', next = ${[...next]}::text[], "finishedAt" = ${options.now}
      WHERE id = ${step.stepId} AND status = 'WAITING' AND "resumeAt" <= ${options.now}`);
    if (count === 0) return undefined;
    changes.step({ id: step.stepId, nodeId: step.nodeId, status: "SUCCEEDED" });
    const rows = await readSteps(tx, step.executionId);
    return advanceExecution(tx, changes, workflow, [step.nodeId], rows, options);
  });
}

/** A retryable failure with attempts left: back to PENDING until `retryAt`. */
export async function retryStepLater(db: SqlDb, finish: Finish & { error: string; retryAt: Date }) {
  return inExecutionTransaction(db, finish.step.executionId, async (tx, changes) => {
    const fields = { error: finish.error, resumeAt: finish.retryAt };
    if (!(await releaseHeld(tx, changes, finish, "PENDING", fields))) return false;
    const { stepId, executionId } = finish.step;
    changes.enqueue({ stepId, executionId, generation: String(finish.attempt + 1), runAt: finish.retryAt });
    return true;
  });
}

/** The step failed for good: it is FAILED, the execution FAILED, and nothing new starts. */
export async function failStep(db: SqlDb, finish: Finish & { error: string }, now: Date) {
  return inExecutionTransaction(db, finish.step.executionId, async (tx, changes) => {
    if (!(await releaseHeld(tx, changes, finish, "FAILED", { error: finish.error, finishedAt: now }))) return false;
    if (ACTIVE_EXECUTION.has(changes.execution.status)) {
      await failExecution(tx, changes, `${finish.step.nodeId}: ${finish.error}`, now);
    }
    return true;
  });
}
