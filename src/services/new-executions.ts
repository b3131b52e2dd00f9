/**
 * Executions are created in ONE statement with everything that comes with
 * them: the event that started them (if any), their rows, their entry steps
 * and their first change-log entries. Every value is decided here beforehand
 * (ids, statuses, seqs), so no part depends on another's result, and
 * PostgreSQL commits the statement on its own: one round trip instead of a
 * transaction of four or more.
 */
import { randomUUID } from "node:crypto";
import type { SqlDb } from "../db/sql.js";
import { findEntryNode } from "../engine/graph.js";
import { ChangeSet } from "../engine/runner/execution-lock.js";
import { insertRows, newRowParts, utcTimestamp } from "../engine/runner/persist-sql.js";
import type { PinnedWorkflow } from "../engine/runner/workflow-cache.js";
import { type Event, type Execution, Prisma } from "../generated/prisma/client.js";
import { WORKFLOWS_REVISION } from "./revisions.js";

export interface NewExecution {
  id: string;
  workflow: PinnedWorkflow;
  /** Its first changes (seq 1 announces it, seq 2 its entry step) and the entry step's job. */
  changes: ChangeSet;
}

/**
 * An execution pinned to `workflow`, with its entry step. An empty (draft)
 * graph has nothing to run, so its execution is SUCCEEDED at once.
 */
export function newExecution(workflow: PinnedWorkflow): NewExecution {
  const id = randomUUID();
  const entry = findEntryNode(workflow.graph);
  const changes = new ChangeSet({
    id,
    workflowId: workflow.workflowId,
    workflowVersion: workflow.version,
    status: entry ? "PENDING" : "SUCCEEDED",
    seq: 0,
  });
  changes.executionCreated();
  if (entry) {
    const step = changes.createStep({ nodeId: entry.id, type: entry.type, status: "PENDING" });
    changes.enqueue({ stepId: step.id, executionId: id, generation: "1" });
  }
  return { id, workflow, changes };
}

const EXECUTION_COLUMNS = Prisma.raw(`id, "workflowId", "workflowVersion", status::text AS status, payload, "eventId",
  error, seq, "createdAt", "startedAt", "finishedAt"`);

/**
 * WITH parts inserting the executions (returned by `new_executions`), their
 * steps and change log; with `onlyIf`, only when that SQL condition holds.
 */
function insertExecutions(
  executions: readonly NewExecution[],
  eventId: string | null,
  now: Date,
  onlyIf?: Prisma.Sql,
): Prisma.Sql {
  const rows = executions.map(({ id, workflow, changes }) => {
    const { status, seq } = changes.execution;
    const finishedAt = status === "SUCCEEDED" ? utcTimestamp(now) : utcTimestamp(null);
    return Prisma.sql`(${id}::text, ${workflow.workflowId}::text, ${workflow.version}::int, (SELECT value FROM payload),
      ${eventId}::text, ${status}::"ExecutionStatus", ${seq}::int, ${finishedAt}, ${finishedAt})`;
  });
  const columns = Prisma.sql`id, "workflowId", "workflowVersion", payload, "eventId", status, seq, "startedAt", "finishedAt"`;
  const scope = onlyIf ? { onlyIf } : undefined;
  const insert = insertRows("Execution", columns, rows, scope);
  const parts = newRowParts(
    executions.map((e) => e.changes),
    scope,
  );
  return Prisma.join([Prisma.sql`new_executions AS (${insert} RETURNING ${EXECUTION_COLUMNS})`, ...parts]);
}

/** The payload, sent once however many executions share it. */
const payloadPart = (payload: unknown) => Prisma.sql`payload AS (SELECT ${JSON.stringify(payload)}::jsonb AS value)`;

/** Writes executions started directly (no event); returns their rows in the order given. */
export async function writeExecutions(
  sql: SqlDb,
  executions: readonly NewExecution[],
  payload: unknown,
  now: Date,
): Promise<Execution[]> {
  const rows = await sql.query<Execution>(Prisma.sql`
    WITH ${payloadPart(payload)}, ${insertExecutions(executions, null, now)}
    SELECT * FROM new_executions`);
  return inOrder(executions, rows);
}

/**
 * Writes an event and the executions it started, if the workflows revision is
 * still `revision` (the one their triggers were matched at); undefined, with
 * nothing written, when it moved. Fails with a unique violation when the
 * idempotency key was taken meanwhile (nothing is written then either).
 */
export async function writeEvent(
  sql: SqlDb,
  event: { payload: unknown; idempotencyKey: string | null },
  executions: readonly NewExecution[],
  now: Date,
  revision: bigint,
): Promise<{ event: Event; executions: Execution[] } | undefined> {
  const eventId = randomUUID();
  const current = Prisma.sql`COALESCE((SELECT value FROM "Revision" WHERE key = ${WORKFLOWS_REVISION}), 0)`;
  const insertEvent = Prisma.sql`event AS (
    INSERT INTO "Event" (id, payload, "idempotencyKey")
    SELECT ${eventId}::text, (SELECT value FROM payload), ${event.idempotencyKey}::text
    WHERE ${current} = ${revision.toString()}::bigint
    RETURNING "receivedAt", payload)`;
  const written = Prisma.sql`EXISTS (SELECT 1 FROM event)`;
  const eventColumns = Prisma.sql`e."receivedAt" AS "eventReceivedAt", e.payload AS "eventPayload"`;
  type Row = Execution & { eventReceivedAt: Date; eventPayload: unknown };
  const rows =
    executions.length > 0
      ? await sql.query<Row>(Prisma.sql`
          WITH ${payloadPart(event.payload)}, ${insertEvent}, ${insertExecutions(executions, eventId, now, written)}
          SELECT ${eventColumns}, x.* FROM event e CROSS JOIN new_executions x`)
      : await sql.query<Row>(Prisma.sql`
          WITH ${payloadPart(event.payload)}, ${insertEvent} SELECT ${eventColumns} FROM event e`);
  const [first] = rows;
  if (!first) return undefined;
  const stored = {
    id: eventId,
    payload: first.eventPayload as Event["payload"],
    idempotencyKey: event.idempotencyKey,
    receivedAt: first.eventReceivedAt,
  };
  const executionRows = executions.length > 0 ? rows.map(({ eventReceivedAt, eventPayload, ...x }) => x) : [];
  return { event: stored, executions: inOrder(executions, executionRows) };
}

/** RETURNING gives no order guarantee: rows are put back in the order the executions were planned. */
function inOrder(executions: readonly NewExecution[], rows: readonly Execution[]): Execution[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  return executions.map(({ id }) => {
    const row = byId.get(id);
    if (!row) throw new Error(`inserting execution ${id} returned no row`);
    return row;
  });
}
