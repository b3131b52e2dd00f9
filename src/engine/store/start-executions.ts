/**
 * Executions are created in ONE statement with everything that comes with
 * them: the event that started them (if any), their rows, their entry steps
 * and their first change-log entries. Every value is decided here beforehand
 * (ids, statuses, seqs), so no part depends on another's result, and
 * PostgreSQL commits the statement on its own: one round trip instead of a
 * transaction of four or more. Events and starts arriving together share that
 * statement (StatementBatcher), each still written or refused on its own terms.
 */
import { randomUUID } from "node:crypto";
import type { SqlDb } from "../../db/sql.js";
import { type Event, type Execution, Prisma } from "../../generated/prisma/client.js";
import { findEntryNode } from "../graph.js";
import type { PinnedWorkflow } from "../workflow-cache.js";
import { ChangeSet } from "./change-set.js";
import { newRowParts, utcText } from "./change-set-sql.js";
import { EXECUTION_COLUMNS } from "./execution-columns.js";
import { WORKFLOWS_REVISION } from "./revisions.js";
import { perDatabase, StatementBatcher } from "./statement-batcher.js";

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

/** Executions to write with their payload, and the event that started them if any. */
interface StartRequest {
  executions: readonly NewExecution[];
  /** The payload as JSON text. */
  payload: string;
  now: Date;
  /** Absent for a direct start. */
  event?: { id: string; idempotencyKey: string | null; revision: bigint };
}

type StartRow = Execution & { request: number; eventReceivedAt: Date | null; eventPayload: unknown };

/** The executions a statement wrote, their rows numbered from seq 0 (see newRowParts). */
const WRITTEN = Prisma.sql`(SELECT id AS execution_id, 0 AS base FROM new_executions)`;

/**
 * Writes many requests' executions (and events) in one statement. An event is
 * written, with its executions, only if the workflows revision is still the
 * one its triggers were matched at; a request without event always is. Rows:
 * one per execution written, or one with only `request` set for an accepted
 * event that started nothing.
 */
async function writeStarts(sql: SqlDb, requests: readonly StartRequest[]): Promise<StartRow[]> {
  const json = requests.map((r, request) => ({
    request,
    event_id: r.event?.id ?? null,
    idempotency_key: r.event?.idempotencyKey ?? null,
    revision: r.event?.revision.toString() ?? null,
    payload: r.payload,
    executions: r.executions.map((e) => e.id),
  }));
  const executions = requests.flatMap((r, request) =>
    r.executions.map(({ id, workflow, changes }) => ({
      request,
      id,
      workflow_id: workflow.workflowId,
      workflow_version: workflow.version,
      status: changes.execution.status,
      seq: changes.execution.seq,
      // A draft graph has nothing to run: its execution is over as it starts.
      finished_at: changes.execution.status === "SUCCEEDED" ? utcText(r.now) : null,
    })),
  );
  const sets = requests.flatMap((r) => r.executions.map((e) => e.changes));
  return sql.queryPlannedOnce<StartRow>(Prisma.sql`
    WITH requests AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(json)}::jsonb)
        AS r(request int, event_id text, idempotency_key text, revision bigint, payload text, executions text[])
    ),
    accepted AS (
      SELECT request, event_id, idempotency_key, payload::jsonb AS payload, executions FROM requests
      WHERE revision IS NULL
         OR revision = COALESCE((SELECT value FROM "Revision" WHERE key = ${WORKFLOWS_REVISION}), 0)
    ),
    events AS (
      INSERT INTO "Event" (id, payload, "idempotencyKey")
      SELECT event_id, payload, idempotency_key FROM accepted WHERE event_id IS NOT NULL
      RETURNING id, "receivedAt"
    ),
    new_executions AS (
      INSERT INTO "Execution" (id, "workflowId", "workflowVersion", payload, "eventId", status, seq, "startedAt", "finishedAt")
      SELECT x.id, x.workflow_id, x.workflow_version, a.payload, a.event_id, x.status::"ExecutionStatus", x.seq,
             x.finished_at, x.finished_at
      FROM jsonb_to_recordset(${JSON.stringify(executions)}::jsonb)
        AS x(request int, id text, workflow_id text, workflow_version int, status text, seq int, finished_at timestamp(3))
      JOIN accepted a ON a.request = x.request
      RETURNING ${EXECUTION_COLUMNS}
    ),
    ${newRowParts(sets, WRITTEN)}
    SELECT a.request, ev."receivedAt" AS "eventReceivedAt", a.payload AS "eventPayload", x.*
    FROM accepted a
    LEFT JOIN events ev ON ev.id = a.event_id
    LEFT JOIN new_executions x ON x.id = ANY(a.executions)`);
}

/** Statements out at once and requests per statement: as for the worker's transitions (batched-locks.ts). */
const startBatcher = perDatabase(
  (sql) =>
    new StatementBatcher<StartRequest, StartRow[]>(
      async (requests) => {
        const rows = await writeStarts(sql, requests);
        return requests.map((_, index) => rows.filter((row) => row.request === index));
      },
      { maxInFlight: 2, maxBatch: 64 },
    ),
);

/** Writes executions started directly (no event); returns their rows in the order given. */
export async function writeExecutions(
  sql: SqlDb,
  executions: readonly NewExecution[],
  payload: unknown,
  now: Date,
): Promise<Execution[]> {
  const text = JSON.stringify(payload);
  const rows = await startBatcher(sql).submit({ executions, payload: text, now });
  const written = inOrder(executions, rows.map(executionOf));
  hintEntryJobs(executions, written, text.length);
  return written;
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
  const id = randomUUID();
  const { payload, idempotencyKey } = event;
  const text = JSON.stringify(payload);
  const rows = await startBatcher(sql).submit({
    executions,
    payload: text,
    now,
    event: { id, idempotencyKey, revision },
  });
  const [first] = rows;
  if (!first?.eventReceivedAt) return undefined;
  const receivedAt = first.eventReceivedAt;
  const stored = { id, payload: first.eventPayload as Event["payload"], idempotencyKey, receivedAt };
  const written = inOrder(executions, executions.length > 0 ? rows.map(executionOf) : []);
  hintEntryJobs(executions, written, text.length);
  return { event: stored, executions: written };
}

/**
 * Payloads up to this size (as JSON text) travel with the entry step's job;
 * a larger one is read with the claim, as it always was (Redis holds jobs in
 * memory, and the shortcut is worth a statement, not megabytes).
 */
const MAX_HINTED_PAYLOAD_CHARS = 16_384;

/**
 * Gives the entry step's job of each execution just written what the worker
 * would otherwise read with its claim (EntryHint), the payload as PostgreSQL
 * returned it, so the worker renders exactly what a claim would have read.
 */
function hintEntryJobs(executions: readonly NewExecution[], rows: readonly Execution[], payloadChars: number): void {
  if (payloadChars > MAX_HINTED_PAYLOAD_CHARS) return;
  executions.forEach(({ workflow, changes }, i) => {
    const [entry] = changes.newSteps;
    const [job] = changes.jobs;
    const row = rows[i];
    if (!entry || !job || !row || job.stepId !== entry.id) return;
    job.entry = {
      workflowId: workflow.workflowId,
      workflowVersion: workflow.version,
      nodeId: entry.nodeId,
      payload: row.payload,
    };
  });
}

function executionOf({ request: _request, eventReceivedAt: _at, eventPayload: _payload, ...execution }: StartRow) {
  return execution;
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
