/**
 * The SQL that writes a ChangeSet: its new steps, its notifications, the
 * execution's seq and patched fields, and its numbered change log, as the CTEs
 * of one statement.
 *
 * Two ways to use it. Inside the execution's locked transaction the seqs are
 * absolute and every row is written. In a single-statement transition
 * (single-statement.ts) the seqs are offsets from the execution's seq as that
 * statement locked it (`seqBase`), and rows are written only if the statement's
 * own update took effect (`onlyIf`).
 *
 * Values carry explicit casts so that rows may come from a SELECT (which,
 * unlike INSERT … VALUES, does not type parameters from the target columns);
 * timestamps are sent as UTC text, the way DateTime columns store them.
 */
import { Prisma } from "../../generated/prisma/client.js";
import type { EngineChange } from "../ports.js";
import type { ChangeSet, NewStep } from "./execution-lock.js";

export interface PersistScope {
  /** SQL giving the execution's seq before this change; the set's seqs are then offsets from it. */
  seqBase?: Prisma.Sql;
  /** Rows are written only when this SQL condition holds. */
  onlyIf: Prisma.Sql;
}

/** `name AS (…)` parts for a WITH clause; the caller adds the main statement. */
export function persistParts(changes: ChangeSet, scope?: PersistScope): Prisma.Sql {
  const update = Prisma.sql`execution_update AS (${updateExecution(changes, scope)})`;
  return Prisma.join([...newRowParts([changes], scope), update]);
}

/**
 * The rows several change sets add (steps, notifications, change log), as
 * WITH parts, each table in one multi-row insert; an empty list when there
 * are none. Their executions' own rows are the caller's business.
 */
export function newRowParts(sets: readonly ChangeSet[], scope?: PersistScope): Prisma.Sql[] {
  const parts: Prisma.Sql[] = [];
  const steps = sets.flatMap((set) => stepRows(set.execution.id, set.newSteps, scope));
  if (steps.length > 0) {
    const columns = Prisma.sql`id, "executionId", "nodeId", type, status, seq, attempt, "startedAt", "leaseUntil", "finishedAt"`;
    parts.push(Prisma.sql`new_steps AS (${insertRows("Step", columns, steps, scope)})`);
  }
  const notifications = sets.flatMap(notificationRows);
  if (notifications.length > 0) {
    const columns = Prisma.sql`id, "executionId", "stepId", "toRole", message`;
    // At most one per step: the unique index keeps the first (a step run again after a lost worker).
    const insert = insertRows("Notification", columns, notifications, scope);
    parts.push(Prisma.sql`new_notifications AS (${insert} ON CONFLICT ("stepId") DO NOTHING)`);
  }
  const log = sets.flatMap((set) => changeLogRows(set.changes, scope));
  if (log.length > 0) {
    const columns = Prisma.sql`"executionId", seq, kind, "stepId", "nodeId", status`;
    parts.push(Prisma.sql`change_log AS (${insertRows("ExecutionChange", columns, log, scope)})`);
  }
  return parts;
}

/** UTC text without a zone, the way timestamp(3) columns hold DateTimes. */
export function utcText(date: Date): string {
  return date.toISOString().replace("T", " ").replace("Z", "");
}

/** A timestamp(3) value: UTC text without a zone, as the column stores it. */
export function utcTimestamp(date: Date | null | undefined): Prisma.Sql {
  if (!date) return Prisma.sql`NULL::timestamp(3)`;
  return Prisma.sql`${utcText(date)}::timestamp(3)`;
}

function seqValue(seq: number, scope: PersistScope | undefined): Prisma.Sql {
  return scope?.seqBase ? Prisma.sql`${scope.seqBase} + ${seq}::int` : Prisma.sql`${seq}::int`;
}

/** INSERT of typed rows, only when `scope.onlyIf` holds if a scope is given. */
export function insertRows(table: string, columns: Prisma.Sql, rows: readonly Prisma.Sql[], scope?: PersistScope) {
  const into = Prisma.sql`INSERT INTO ${Prisma.raw(`"${table}"`)} (${columns})`;
  if (!scope) return Prisma.sql`${into} VALUES ${Prisma.join(rows)}`;
  return Prisma.sql`${into} SELECT * FROM (VALUES ${Prisma.join(rows)}) AS v WHERE ${scope.onlyIf}`;
}

function stepRows(executionId: string, steps: readonly NewStep[], scope?: PersistScope): Prisma.Sql[] {
  return steps.map(
    (s) => Prisma.sql`(${s.id}::text, ${executionId}::text, ${s.nodeId}::text, ${s.type}::text,
      ${s.status}::"StepStatus", ${seqValue(s.seq, scope)}, ${s.claim?.attempt ?? 0}::int,
      ${utcTimestamp(s.claim?.startedAt)}, ${utcTimestamp(s.claim?.leaseUntil)}, ${utcTimestamp(s.finishedAt)})`,
  );
}

function notificationRows(changes: ChangeSet): Prisma.Sql[] {
  const executionId = changes.execution.id;
  return changes.newNotifications.map(
    (n) => Prisma.sql`(${n.id}::text, ${executionId}::text, ${n.stepId}::text, ${n.toRole}::text, ${n.message}::text)`,
  );
}

function updateExecution(changes: ChangeSet, scope?: PersistScope): Prisma.Sql {
  const patch = changes.executionPatch;
  const sets = [Prisma.sql`seq = ${seqValue(changes.execution.seq, scope)}`];
  if (patch.status !== undefined) sets.push(Prisma.sql`status = ${patch.status}::"ExecutionStatus"`);
  if (patch.startedAt !== undefined) sets.push(Prisma.sql`"startedAt" = ${utcTimestamp(patch.startedAt)}`);
  if (patch.finishedAt !== undefined) sets.push(Prisma.sql`"finishedAt" = ${utcTimestamp(patch.finishedAt)}`);
  if (patch.error !== undefined) sets.push(Prisma.sql`error = ${patch.error}::text`);
  const only = scope ? Prisma.sql` AND ${scope.onlyIf}` : Prisma.empty;
  return Prisma.sql`UPDATE "Execution" SET ${Prisma.join(sets)} WHERE id = ${changes.execution.id}${only}`;
}

function changeLogRows(changes: readonly EngineChange[], scope?: PersistScope): Prisma.Sql[] {
  return changes.flatMap((change) => {
    if (change.type === "notification") return [];
    const { executionId, seq, status } = change;
    const [stepId, nodeId] = change.type === "step" ? [change.stepId, change.nodeId] : [null, null];
    return [
      Prisma.sql`(${executionId}::text, ${seqValue(seq, scope)}, ${change.type}::text, ${stepId}::text, ${nodeId}::text, ${status}::text)`,
    ];
  });
}
