/**
 * A step the caller holds (it claimed it, or it is a new execution's entry
 * step run before any claim): what recording its outcome writes. Every update
 * is conditional on the state the caller saw (status and attempt), so a step
 * that finished, or was taken over after its lease expired, is never moved
 * twice: the late writer simply changes nothing.
 */
import { Prisma } from "../../generated/prisma/client.js";
import type { StepRow } from "./advance-execution.js";
import type { ChangeSet, PendingNotification } from "./change-set.js";
import { jsonParam } from "./change-set-sql.js";
import type { Tx } from "./execution-lock.js";

export interface StepRef {
  stepId: string;
  executionId: string;
  nodeId: string;
}

/** What a step's run left to record. */
export interface Finish {
  step: StepRef;
  /** The attempt the caller claimed: the update applies only if it still holds the step. */
  attempt: number;
  input: unknown;
  output: unknown;
  /** What the handler sent; stored only if the caller still holds the step. */
  notifications?: readonly PendingNotification[];
}

/** A step that succeeded, with the successors its completion flows to. */
export type Succeeded = Finish & { next: readonly string[] };

export type HeldStatus = "SUCCEEDED" | "WAITING" | "PENDING" | "FAILED";

/** Column changes besides status, input, output and the lease. */
export interface ReleaseFields {
  next?: readonly string[];
  error?: string | null;
  finishedAt?: Date;
  /** Null: no time (a wait that lasts until something else ends it). */
  resumeAt?: Date | null;
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
export async function releaseHeld(
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
 * finished step's row is patched here). Undefined when the caller lost the step.
 */
export async function releaseSucceeded(
  tx: Tx,
  changes: ChangeSet,
  finish: Succeeded,
  fields: ReleaseFields,
): Promise<StepRow[] | undefined> {
  const rows = await tx.query<StepRow & { released: number }>(Prisma.sql`
    WITH released AS (${releaseSql(finish, "SUCCEEDED", { ...fields, next: finish.next })} RETURNING 1)
    SELECT "nodeId", status::text AS status, next, (SELECT count(*)::int FROM released) AS released
    FROM "Step" WHERE "executionId" = ${finish.step.executionId}`);
  if (!rows[0]?.released) return undefined;
  changes.step({ id: finish.step.stepId, nodeId: finish.step.nodeId, status: "SUCCEEDED" });
  changes.notifications(finish.step.stepId, finish.notifications ?? []);
  return rows.map(({ nodeId, status, next }) =>
    nodeId === finish.step.nodeId ? { nodeId, status: "SUCCEEDED", next: [...finish.next] } : { nodeId, status, next },
  );
}
