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
import type { SqlDb, SqlRunner } from "../../db/sql.js";
import { type Event, type Execution, Prisma } from "../../generated/prisma/client.js";
import { eventKeys, type WaitKey, waitKey } from "../event-keys.js";
import type { ExecutionFlowKeys } from "../flow-control.js";
import { findEntryNode } from "../graph.js";
import type { JsonLogicRule } from "../json-logic.js";
import { DEADLINE_GENERATION } from "../ports.js";
import type { PinnedWorkflow } from "../workflow-cache.js";
import { ChangeSet } from "./change-set.js";
import { newRowParts, utcText } from "./change-set-sql.js";
import { EXECUTION_COLUMNS } from "./execution-columns.js";
import { WORKFLOWS_REVISION } from "./revisions.js";
import { perDatabase, StatementBatcher } from "./statement-batcher.js";
import { eventShards, sharedWaitLocks } from "./wait-lock.js";

export interface NewExecution {
  id: string;
  workflow: PinnedWorkflow;
  /** Its first changes (seq 1 announces it, seq 2 its entry step) and the entry step's job. */
  changes: ChangeSet;
  /** The workflow's cancelOn rendered for this execution, written as its EventWait. */
  cancelOn?: JsonLogicRule;
  /** Its flow-control keys and priority: it starts in line for capacity (capacity-waits.ts), its entry step without a job. */
  flow?: ExecutionFlowKeys;
}

/**
 * How executions of one workflow version are started inside a transaction of another writer (a
 * parent's children, a debounce window, a schedule's firing, a direct start): the pinned version
 * (resolved before the transaction, never read inside it) and a plan per payload.
 */
export interface ExecutionStarter {
  workflow: PinnedWorkflow;
  plan(payload: unknown): NewExecution;
}

/** A wait the ingestion found an event may satisfy (by key: its rule is checked after commit). */
export interface WaitCandidate {
  waitId: string;
  executionId: string;
  stepId: string | null;
  match: JsonLogicRule;
  eventSeq: string;
}

/**
 * An execution pinned to `workflow`, with its entry step. An empty (draft)
 * graph has nothing to run, so its execution is SUCCEEDED at once.
 */
export function newExecution(
  workflow: PinnedWorkflow,
  { id = randomUUID(), flow }: { id?: string; flow?: ExecutionFlowKeys | undefined } = {},
): NewExecution {
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
    // In line for capacity: admission enqueues the job once the execution is let in.
    if (flow) changes.admits = true;
    else changes.enqueue({ stepId: step.id, executionId: id, generation: "1" });
  }
  return { id, workflow, changes, ...(entry && flow ? { flow } : {}) };
}

/** Executions to write with their payload, and the event that started them if any. */
interface StartRequest {
  executions: readonly NewExecution[];
  /** The payload as JSON text. */
  payload: string;
  now: Date;
  /** Absent for a direct start. `keys`: where waits it may satisfy are filed (undefined: too many to list). */
  event?: { id: string; idempotencyKey: string | null; revision: bigint; keys: readonly WaitKey[] | undefined };
  /** The event a debounce window started these executions for (already stored): their eventId. */
  sourceEventId?: string;
  /** Debounced workflows the event opens or extends a window of, instead of starting an execution. */
  debounced?: readonly DebouncedStart[];
}

/** An event held by a debounced workflow's window (workflow, rendered key): the window starts one execution. */
export interface DebouncedStart {
  workflowId: string;
  key: string;
  periodMs: number;
}

type StartRow = Execution & {
  request: number;
  eventReceivedAt: Date | null;
  eventPayload: unknown;
  eventSeq: string | null;
  candidates: WaitCandidate[] | null;
};

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
  const statement = startStatement(requests);
  if (!requests.some((r) => r.event)) return sql.queryPlannedOnce<StartRow>(statement);
  // Shared wait locks first, so the statement's snapshot holds every wait registered before (wait-lock.ts).
  const locks = sharedWaitLocks(requests.flatMap((r) => (r.event ? eventShards(r.event.keys) : [])));
  return sql.queryInTransactionPlannedOnce<StartRow>(statement, locks);
}

/** The statement of writeStarts; also run inside admission's transaction for a debounce window that closed. */
function startStatement(requests: readonly StartRequest[]): Prisma.Sql {
  const json = requests.map((r, request) => ({
    request,
    event_id: r.event?.id ?? null,
    source_event_id: r.sourceEventId ?? null,
    idempotency_key: r.event?.idempotencyKey ?? null,
    revision: r.event?.revision.toString() ?? null,
    payload: r.payload,
    executions: r.executions.map((e) => e.id),
    // Without its keys (too many values to list), an event is a candidate for every wait.
    all_waits: r.event !== undefined && r.event.keys === undefined,
  }));
  const pairs = requests.flatMap((r, request) =>
    (r.event?.keys ?? []).map(({ path, value }) => ({ request, path, value })),
  );
  const executions = requests.flatMap((r, request) =>
    r.executions
      .map((e) => ({ e, ...e }))
      .map(({ e, id, workflow, changes }) => ({
        request,
        id,
        workflow_id: workflow.workflowId,
        workflow_version: workflow.version,
        status: changes.execution.status,
        seq: changes.execution.seq,
        // A draft graph has nothing to run: its execution is over as it starts.
        finished_at: changes.execution.status === "SUCCEEDED" ? utcText(r.now) : null,
        deadline_at:
          workflow.timeoutMs !== null && changes.execution.status !== "SUCCEEDED"
            ? utcText(new Date(r.now.getTime() + workflow.timeoutMs))
            : null,
        ...cancelWait(changes.execution.status === "SUCCEEDED" ? undefined : e.cancelOn, workflow.cancelOn, r.now),
        ...flowColumns(e.flow),
      })),
  );
  const sets = requests.flatMap((r) => r.executions.map((e) => e.changes));
  const statement = Prisma.sql`
    WITH requests AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(json)}::jsonb)
        AS r(request int, event_id text, source_event_id text, idempotency_key text, revision bigint, payload text,
             executions text[], all_waits boolean)
    ),
    accepted AS (
      SELECT request, event_id, source_event_id, idempotency_key, payload::jsonb AS payload, executions, all_waits
      FROM requests
      WHERE revision IS NULL
         OR revision = COALESCE((SELECT value FROM "Revision" WHERE key = ${WORKFLOWS_REVISION}), 0)
    ),
    events AS (
      INSERT INTO "Event" (id, payload, "idempotencyKey")
      SELECT event_id, payload, idempotency_key FROM accepted WHERE event_id IS NOT NULL
      RETURNING id, "receivedAt", seq
    ),
    planned AS (
      SELECT x.*, a.payload, COALESCE(a.event_id, a.source_event_id) AS event_id FROM jsonb_to_recordset(${JSON.stringify(executions)}::jsonb)
        AS x(request int, id text, workflow_id text, workflow_version int, status text, seq int, finished_at timestamp(3),
             deadline_at timestamp(3), cancel_match jsonb, cancel_key_path text, cancel_key_value text,
             cancel_not_before timestamp(3), flow_keys text[], rate_key text, priority int, fair_key text)
      JOIN accepted a ON a.request = x.request
    ),
    new_executions AS (
      INSERT INTO "Execution" (id, "workflowId", "workflowVersion", payload, "eventId", status, seq, "startedAt",
        "finishedAt", "deadlineAt")
      SELECT id, workflow_id, workflow_version, payload, event_id, status::"ExecutionStatus", seq, finished_at,
        finished_at, deadline_at
      FROM planned
      RETURNING ${EXECUTION_COLUMNS}
    ),
    -- cancelOn: checked against events numbered meanwhile once this commits (checkedSeq stays null until then).
    cancel_waits AS (
      INSERT INTO "EventWait" (id, "executionId", match, "keyPath", "keyValue", "afterSeq", "notBefore")
      SELECT gen_random_uuid()::text, p.id, p.cancel_match, p.cancel_key_path, p.cancel_key_value, ev.seq,
        CASE WHEN ev.seq IS NULL THEN p.cancel_not_before END
      FROM planned p LEFT JOIN events ev ON ev.id = p.event_id
      WHERE p.cancel_match IS NOT NULL
    ),
    ${flowControlParts(requests)}
    pairs AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(pairs)}::jsonb) AS p(request int, path text, value text)
    ),
    -- The waits each event may satisfy (filed under one of its values, or under none), recorded in the
    -- event's own statement, so a crash before they are decided loses nothing (the reconciler decides them).
    candidates AS (
      SELECT a.request, ev.id AS event_id, ev.seq AS event_seq, w.id AS wait_id, w."executionId" AS execution_id,
        w."stepId" AS step_id, w.match
      FROM accepted a JOIN events ev ON ev.id = a.event_id
      JOIN LATERAL (
        SELECT found.id FROM pairs p JOIN "EventWait" found ON found."keyPath" = p.path AND found."keyValue" = p.value
        WHERE p.request = a.request
        UNION SELECT found.id FROM "EventWait" found WHERE found."keyPath" IS NULL
        UNION SELECT found.id FROM "EventWait" found WHERE a.all_waits
      ) filed ON TRUE
      JOIN "EventWait" w ON w.id = filed.id
    ),
    recorded_candidates AS (
      INSERT INTO "WaitCandidate" ("waitId", "eventSeq", "eventId")
      SELECT wait_id, event_seq, event_id FROM candidates ON CONFLICT DO NOTHING
    ),
    ${newRowParts(sets, WRITTEN)}
    SELECT a.request, ev."receivedAt" AS "eventReceivedAt", a.payload AS "eventPayload", ev.seq::text AS "eventSeq",
      (SELECT jsonb_agg(jsonb_build_object('waitId', c.wait_id, 'executionId', c.execution_id, 'stepId', c.step_id,
         'match', c.match, 'eventSeq', c.event_seq::text)) FROM candidates c WHERE c.request = a.request) AS candidates,
      x.*
    FROM accepted a
    LEFT JOIN events ev ON ev.id = a.event_id
    LEFT JOIN new_executions x ON x.id = ANY(a.executions)`;
  return statement;
}

/** The columns of an execution's cancelOn wait (none without one); a direct start's window opens at `now`. */
function cancelWait(rule: JsonLogicRule | undefined, unrendered: JsonLogicRule, now: Date) {
  if (rule === undefined) return {};
  const key = waitKey(rule, unrendered);
  return {
    cancel_match: rule,
    cancel_key_path: key?.path ?? null,
    cancel_key_value: key?.value ?? null,
    cancel_not_before: utcText(now),
  };
}

/**
 * The parts that write flow control's rows, only in a statement that has some: debounce windows
 * the event joins, and the executions' keys and places in line for capacity (arrival order: seq).
 * A statement without flow control is the statement it always was (no cost for unlimited workflows).
 */
function flowControlParts(requests: readonly StartRequest[]): Prisma.Sql {
  const debounced = requests.flatMap((r, request) =>
    (r.debounced ?? []).map((d) => ({ request, workflow_id: d.workflowId, key: d.key })),
  );
  const inLine = requests.some((r) => r.executions.some((e) => e.flow));
  const parts: Prisma.Sql[] = [];
  if (debounced.length > 0) {
    parts.push(Prisma.sql`debounced AS (
      INSERT INTO "DebounceEvent" ("workflowId", key, "eventId", "eventSeq", "receivedAt")
      SELECT d.workflow_id, d.key, ev.id, ev.seq, ev."receivedAt"
      FROM jsonb_to_recordset(${JSON.stringify(debounced)}::jsonb) AS d(request int, workflow_id text, key text)
      JOIN accepted a ON a.request = d.request JOIN events ev ON ev.id = a.event_id
    ),`);
  }
  if (inLine) {
    parts.push(Prisma.sql`execution_flows AS (
      INSERT INTO "ExecutionFlow" ("executionId", "workflowId", "concurrencyKeys", "rateKey", priority, "fairKey")
      SELECT id, workflow_id, flow_keys, rate_key, priority, fair_key FROM planned WHERE fair_key IS NOT NULL
    ),
    capacity_waits AS (
      INSERT INTO "CapacityWait" ("executionId", "workflowId", priority, "fairKey")
      SELECT id, workflow_id, priority, fair_key FROM planned WHERE fair_key IS NOT NULL ORDER BY request
    ),`);
  }
  return parts.length > 0 ? Prisma.join(parts, "\n    ") : Prisma.empty;
}

/** The columns of an execution's flow-control row (none without flow control). */
function flowColumns(flow: ExecutionFlowKeys | undefined) {
  if (!flow) return {};
  return { flow_keys: flow.concurrencyKeys, rate_key: flow.rateKey, priority: flow.priority, fair_key: flow.fairKey };
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
  scheduleDeadlines(written, executions);
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
  debounced: readonly DebouncedStart[] = [],
): Promise<WrittenEvent | undefined> {
  const id = randomUUID();
  const { payload, idempotencyKey } = event;
  const text = JSON.stringify(payload);
  const rows = await startBatcher(sql).submit({
    executions,
    payload: text,
    now,
    event: { id, idempotencyKey, revision, keys: eventKeys(payload) },
    debounced,
  });
  const [first] = rows;
  if (!first?.eventReceivedAt || first.eventSeq === null) return undefined;
  const receivedAt = first.eventReceivedAt;
  const seq = BigInt(first.eventSeq);
  const stored = { id, seq, payload: first.eventPayload as Event["payload"], idempotencyKey, receivedAt };
  const written = inOrder(executions, executions.length > 0 ? rows.map(executionOf) : []);
  hintEntryJobs(executions, written, text.length);
  scheduleDeadlines(written, executions);
  return { event: stored, executions: written, candidates: first.candidates ?? [] };
}

export interface WrittenEvent {
  event: Event;
  executions: Execution[];
  /** Waits the event may satisfy, recorded as WaitCandidate rows: decide them (engine/waits.ts). */
  candidates: WaitCandidate[];
}

/** A job for each deadline written: it fails the execution if still running then (durable: deadlineAt). */
function scheduleDeadlines(rows: readonly Execution[], executions: readonly NewExecution[]): void {
  rows.forEach((row, i) => {
    if (!row.deadlineAt) return;
    const job = { stepId: row.id, executionId: row.id, generation: DEADLINE_GENERATION, runAt: row.deadlineAt };
    executions[i]?.changes.enqueue(job);
  });
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

function executionOf({
  request: _request,
  eventReceivedAt: _at,
  eventPayload: _payload,
  eventSeq: _seq,
  candidates: _candidates,
  ...execution
}: StartRow) {
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

/**
 * Writes executions inside the caller's transaction, each group with its payload: admission, for a
 * debounce window that closed (linked to `sourceEventId`), and a step starting child executions.
 * The caller enqueues and publishes their change sets.
 */
export async function writeExecutionsIn(
  tx: SqlRunner,
  groups: readonly { executions: readonly NewExecution[]; payload: unknown }[],
  now: Date,
  { sourceEventId, hint = false }: { sourceEventId?: string; hint?: boolean } = {},
): Promise<void> {
  const requests = groups.map(({ executions, payload }) => ({
    executions,
    payload: JSON.stringify(payload),
    now,
    ...(sourceEventId ? { sourceEventId } : {}),
  }));
  const rows = await tx.query<StartRow>(startStatement(requests));
  const executions = groups.flatMap((g) => g.executions);
  const written = inOrder(executions, rows.filter((row) => row.id !== null).map(executionOf));
  // Only for plain new executions: a rerun's first job is not its entry step, and carries no overrides.
  if (hint) {
    let at = 0;
    for (const r of requests) {
      hintEntryJobs(r.executions, written.slice(at, at + r.executions.length), r.payload.length);
      at += r.executions.length;
    }
  }
  scheduleDeadlines(written, executions);
}
