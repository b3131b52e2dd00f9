/**
 * The SQL that writes what ChangeSets add: new steps, notifications and the
 * numbered change log, as the CTEs of one statement, each table one insert
 * whose rows travel as a JSON parameter. The text is the same however many
 * rows there are (none included), so a connection prepares each statement
 * that uses it once.
 *
 * Three statements use it: the locked transaction (persistChangeSet, seqs
 * absolute), the batched finish (finish-step.ts, seqs offsets from the seq
 * each execution's lock read, rows written only for the requests whose update
 * took effect) and new executions (start-executions.ts).
 */
import type { SqlRunner } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";
import type { ChangeSet } from "./change-set.js";
import { CHANGE_LOG_COLUMNS, insertRecords, NOTIFICATION_COLUMNS, type RowRecord, STEP_COLUMNS } from "./new-rows.js";

/** UTC text without a zone, the way timestamp(3) columns hold DateTimes. */
export function utcText(date: Date): string {
  return date.toISOString().replace("T", " ").replace("Z", "");
}

/** A Json column's parameter: JSON text, or SQL NULL for undefined. */
export function jsonParam(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/**
 * `new_steps`, `new_notifications` and `change_log` WITH parts for `sets`.
 * `written` is a relation of (execution_id, base): only the rows of those
 * executions are written, each seq moved up by its base. `moreLog` adds
 * change-log rows (a SELECT of the same columns).
 */
export function newRowParts(sets: readonly ChangeSet[], written: Prisma.Sql, moreLog?: Prisma.Sql): Prisma.Sql {
  const steps = insertRecords("Step", STEP_COLUMNS, sets.flatMap(stepRecords), written);
  const notifications = insertRecords("Notification", NOTIFICATION_COLUMNS, sets.flatMap(notificationRecords), written);
  const log = insertRecords("ExecutionChange", CHANGE_LOG_COLUMNS, sets.flatMap(changeLogRecords), written, moreLog);
  return Prisma.sql`new_steps AS (${steps}),
  new_notifications AS (
    ${notifications}
    -- At most one per step: the unique index keeps the first (a step run again after a lost worker).
    ON CONFLICT ("stepId") DO NOTHING
  ),
  change_log AS (${log})`;
}

/**
 * Writes, in the caller's locked transaction and in one statement, a change
 * set whose seqs are absolute: its new rows, and the execution's seq and
 * patched fields.
 */
export async function persistChangeSet(tx: SqlRunner, changes: ChangeSet): Promise<void> {
  const { id } = changes.execution;
  const rows = newRowParts([changes], Prisma.sql`(SELECT ${id}::text AS execution_id, 0 AS base)`);
  await tx.execute(Prisma.sql`WITH ${rows}, execution_update AS (${updateExecution(changes)}) SELECT 1`);
}

function updateExecution(changes: ChangeSet): Prisma.Sql {
  const patch = changes.executionPatch;
  const sets = [Prisma.sql`seq = ${changes.execution.seq}::int`];
  if (patch.status !== undefined) sets.push(Prisma.sql`status = ${patch.status}::"ExecutionStatus"`);
  if (patch.startedAt !== undefined) sets.push(Prisma.sql`"startedAt" = ${timestamp(patch.startedAt)}`);
  if (patch.finishedAt !== undefined) sets.push(Prisma.sql`"finishedAt" = ${timestamp(patch.finishedAt)}`);
  if (patch.error !== undefined) sets.push(Prisma.sql`error = ${patch.error}::text`);
  return Prisma.sql`UPDATE "Execution" SET ${Prisma.join(sets)} WHERE id = ${changes.execution.id}`;
}

/** A timestamp(3) literal in UTC, or NULL. */
export function timestamp(date: Date | null): Prisma.Sql {
  return date ? Prisma.sql`${utcText(date)}::timestamp(3)` : Prisma.sql`NULL::timestamp(3)`;
}

function stepRecords(changes: ChangeSet): RowRecord<typeof STEP_COLUMNS>[] {
  return changes.newSteps.map((s) => {
    const startedAt = s.claim?.startedAt ?? (s.ran ? s.finishedAt : undefined);
    return {
      id: s.id,
      executionId: changes.execution.id,
      nodeId: s.nodeId,
      type: s.type,
      status: s.status,
      seq: s.seq,
      attempt: s.claim?.attempt ?? (s.ran ? 1 : 0),
      startedAt: startedAt ? utcText(startedAt) : null,
      leaseUntil: s.claim ? utcText(s.claim.leaseUntil) : null,
      finishedAt: s.finishedAt ? utcText(s.finishedAt) : null,
      // JSON values as they are (a null output is SQL NULL, as for a step recorded on its own).
      input: s.ran?.input ?? null,
      output: s.ran?.output ?? null,
      next: s.ran ? [...s.ran.next] : null,
    };
  });
}

function notificationRecords(changes: ChangeSet): RowRecord<typeof NOTIFICATION_COLUMNS>[] {
  return changes.newNotifications.map((n) => ({
    id: n.id,
    executionId: changes.execution.id,
    stepId: n.stepId,
    toRole: n.toRole,
    message: n.message,
  }));
}

function changeLogRecords(changes: ChangeSet): RowRecord<typeof CHANGE_LOG_COLUMNS>[] {
  return changes.changes.flatMap((change) =>
    change.type === "notification"
      ? []
      : [
          {
            executionId: change.executionId,
            seq: change.seq,
            kind: change.type,
            stepId: change.type === "step" ? change.stepId : null,
            nodeId: change.type === "step" ? change.nodeId : null,
            status: change.status,
          },
        ],
  );
}
