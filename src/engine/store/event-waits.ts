/**
 * The rows of event waits (EventWait), the events that may satisfy them
 * (WaitCandidate) and the resumes (EventResume), and the window rule: an
 * event counts for a wait when it was received after the execution's own
 * trigger (after the execution was created, for a direct start), or within
 * the wait's lookback before that. Callers hold the execution's lock and the
 * exclusive wait lock (wait-lock.ts) whenever they decide.
 */
import type { SqlRunner } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";
import { keyPathSegments } from "../event-keys.js";
import { evaluate, isTruthy, type JsonLogicRule } from "../json-logic.js";
import { jsonParam } from "./change-set-sql.js";
import type { Tx } from "./execution-lock.js";

export interface EventWaitRow {
  id: string;
  executionId: string;
  /** Null for the execution's cancelOn. */
  stepId: string | null;
  match: JsonLogicRule;
  keyPath: string | null;
  keyValue: string | null;
  /** Bigints travel as text: pg and Prisma read them differently. */
  afterSeq: string | null;
  notBefore: Date | null;
  checkedSeq: string | null;
  failOnTimeout: boolean;
}

export interface EventRow {
  id: string;
  seq: string;
  payload: unknown;
  receivedAt: Date;
}

/** Where an execution's windows start: its trigger event, or its creation. */
export interface WindowOrigin {
  triggerSeq: string | null;
  triggerAt: Date | null;
  createdAt: Date;
}

const WAIT_COLUMNS = Prisma.sql`id, "executionId", "stepId", match, "keyPath", "keyValue", "afterSeq"::text AS "afterSeq",
  "notBefore", "checkedSeq"::text AS "checkedSeq", "failOnTimeout"`;

export async function readWindowOrigin(tx: Tx, executionId: string): Promise<WindowOrigin> {
  const [origin] = await tx.query<WindowOrigin>(Prisma.sql`
    SELECT ev.seq::text AS "triggerSeq", ev."receivedAt" AS "triggerAt", x."createdAt"
    FROM "Execution" x LEFT JOIN "Event" ev ON ev.id = x."eventId" WHERE x.id = ${executionId}`);
  if (!origin) throw new Error(`execution ${executionId} has no row`);
  return origin;
}

/** The window of a wait that looks back `lookbackMs` from the execution's origin. */
export function windowFrom(
  origin: WindowOrigin,
  lookbackMs: number,
): { afterSeq: string | null; notBefore: Date | null } {
  const start = origin.triggerAt ?? origin.createdAt;
  if (lookbackMs > 0) return { afterSeq: origin.triggerSeq, notBefore: new Date(start.getTime() - lookbackMs) };
  // After the trigger by receive order; a direct start has only its creation time.
  return origin.triggerSeq !== null
    ? { afterSeq: origin.triggerSeq, notBefore: null }
    : { afterSeq: null, notBefore: start };
}

/** The highest event seq so far: under the exclusive lock, every event up to it is committed. */
export async function lastEventSeq(tx: Tx): Promise<string> {
  const [row] = await tx.query<{ seq: string }>(Prisma.sql`SELECT COALESCE(max(seq), 0)::text AS seq FROM "Event"`);
  return row?.seq ?? "0";
}

/** The execution's open waits, the one that started first first (it gets first pick of an event). */
export function readExecutionWaits(tx: Tx, executionId: string): Promise<EventWaitRow[]> {
  return tx.query<EventWaitRow>(Prisma.sql`
    SELECT ${WAIT_COLUMNS} FROM "EventWait" WHERE "executionId" = ${executionId} ORDER BY "createdAt", id`);
}

export type NewEventWait = Omit<EventWaitRow, "id">;

export async function insertWait(tx: Tx, wait: NewEventWait): Promise<void> {
  await tx.execute(Prisma.sql`
    INSERT INTO "EventWait" (id, "executionId", "stepId", match, "keyPath", "keyValue", "afterSeq", "notBefore",
      "checkedSeq", "failOnTimeout")
    VALUES (gen_random_uuid()::text, ${wait.executionId}, ${wait.stepId}, ${jsonParam(wait.match)}::jsonb, ${wait.keyPath},
      ${wait.keyValue}, ${wait.afterSeq}::bigint, ${wait.notBefore}::timestamp(3), ${wait.checkedSeq}::bigint,
      ${wait.failOnTimeout})`);
}

/** Ends waits (and forgets their candidates). */
export async function deleteWaits(tx: Tx, waitIds: readonly string[]): Promise<void> {
  if (waitIds.length === 0) return;
  await deleteWaitsWhere(tx, Prisma.sql`id = ANY(${[...waitIds]}::text[])`);
}

/** Ends the step waits of an execution (it was cancelled or failed); its cancelOn stays for a retry. */
export async function deleteStepWaits(tx: Tx, executionId: string): Promise<void> {
  await deleteWaitsWhere(tx, Prisma.sql`"executionId" = ${executionId} AND "stepId" IS NOT NULL`);
}

function deleteWaitsWhere(tx: Tx, condition: Prisma.Sql): Promise<number> {
  return tx.execute(Prisma.sql`
    WITH gone AS (DELETE FROM "EventWait" WHERE ${condition} RETURNING id)
    DELETE FROM "WaitCandidate" WHERE "waitId" IN (SELECT id FROM gone)`);
}

export async function markChecked(tx: Tx, waitId: string, throughSeq: string): Promise<void> {
  await tx.execute(Prisma.sql`UPDATE "EventWait" SET "checkedSeq" = ${throughSeq}::bigint WHERE id = ${waitId}`);
}

export async function recordResume(tx: Tx, resume: { stepId: string; executionId: string; eventId: string }) {
  await tx.execute(Prisma.sql`
    INSERT INTO "EventResume" ("stepId", "executionId", "eventId")
    VALUES (${resume.stepId}, ${resume.executionId}, ${resume.eventId})`);
}

/** Does the event satisfy the rule? A rule that fails on it (or runs out of budget) does not. */
export function satisfies(rule: JsonLogicRule, payload: unknown): boolean {
  try {
    return isTruthy(evaluate(rule, payload));
  } catch {
    return false;
  }
}

const PAGE = 200;

/**
 * The earliest event in the wait's window with seq in (fromSeq, throughSeq]
 * that satisfies its rule and that no wait of the execution consumed, read a
 * page at a time. Events are prefiltered by the wait's key when it has one.
 */
export async function firstMatch(
  tx: Tx,
  wait: EventWaitRow,
  range: { fromSeq: string; throughSeq?: string },
): Promise<EventRow | undefined> {
  let from = range.fromSeq;
  for (;;) {
    const page = await tx.query<EventRow>(Prisma.sql`
      SELECT ev.id, ev.seq::text AS seq, ev.payload, ev."receivedAt" FROM "Event" ev
      WHERE ev.seq > ${from}::bigint ${range.throughSeq ? Prisma.sql`AND ev.seq <= ${range.throughSeq}::bigint` : Prisma.empty}
        AND ${windowStart(wait)} AND ${inWindow(wait)} AND ${keyPrefilter(wait)}
        AND NOT EXISTS (SELECT 1 FROM "EventResume" r WHERE r."executionId" = ${wait.executionId} AND r."eventId" = ev.id)
      ORDER BY ev.seq LIMIT ${PAGE}`);
    const found = page.find((event) => satisfies(wait.match, event.payload));
    if (found) return found;
    if (page.length < PAGE) return undefined;
    from = (page[page.length - 1] as EventRow).seq;
  }
}

/** The wait's candidates (found by ingestion), oldest event first, without those the execution consumed. */
export function readCandidates(tx: Tx, wait: EventWaitRow): Promise<EventRow[]> {
  return tx.query<EventRow>(Prisma.sql`
    SELECT ev.id, ev.seq::text AS seq, ev.payload, ev."receivedAt"
    FROM "WaitCandidate" c JOIN "Event" ev ON ev.id = c."eventId"
    WHERE c."waitId" = ${wait.id} AND ${inWindow(wait)}
      AND NOT EXISTS (SELECT 1 FROM "EventResume" r WHERE r."executionId" = ${wait.executionId} AND r."eventId" = ev.id)
    ORDER BY c."eventSeq"`);
}

/** Candidates whose rule the event did not satisfy: nothing to decide (a rendered rule never changes). */
export async function forgetUnsatisfied(db: SqlRunner, candidates: readonly { waitId: string; eventSeq: string }[]) {
  if (candidates.length === 0) return;
  await db.execute(Prisma.sql`
    DELETE FROM "WaitCandidate" c USING unnest(${candidates.map((c) => c.waitId)}::text[], ${candidates.map((c) => c.eventSeq)}::bigint[])
      AS gone(wait_id, event_seq)
    WHERE c."waitId" = gone.wait_id AND c."eventSeq" = gone.event_seq`);
}

/** The steps an event resumed. */
export async function stepsResumedBy(db: SqlRunner, eventId: string): Promise<string[]> {
  const rows = await db.query<{ stepId: string }>(Prisma.sql`
    SELECT "stepId" FROM "EventResume" WHERE "eventId" = ${eventId} ORDER BY "createdAt", "stepId"`);
  return rows.map((row) => row.stepId);
}

export async function forgetCandidates(tx: Tx, waitId: string, throughSeq: string): Promise<void> {
  await tx.execute(Prisma.sql`
    DELETE FROM "WaitCandidate" WHERE "waitId" = ${waitId} AND "eventSeq" <= ${throughSeq}::bigint`);
}

/** The indexed bound where a window's events start: by time when it has one, else by seq. */
function windowStart(wait: EventWaitRow): Prisma.Sql {
  if (wait.notBefore !== null) return Prisma.sql`ev."receivedAt" >= ${wait.notBefore}::timestamp(3)`;
  return Prisma.sql`ev.seq > ${wait.afterSeq ?? "0"}::bigint`;
}

function inWindow(wait: EventWaitRow): Prisma.Sql {
  return Prisma.sql`(ev.seq > ${wait.afterSeq}::bigint
    OR (ev."receivedAt" >= ${wait.notBefore}::timestamp(3) AND ev.seq IS DISTINCT FROM ${wait.afterSeq}::bigint))`;
}

/** Only events whose value at the key's path can loosely equal its value (see event-keys.ts). */
function keyPrefilter(wait: EventWaitRow): Prisma.Sql {
  if (wait.keyPath === null || wait.keyValue === null) return Prisma.sql`TRUE`;
  const segments = keyPathSegments(wait.keyPath);
  const isNumber = wait.keyValue.startsWith("#");
  const text = isNumber ? wait.keyValue.slice(1) : wait.keyValue;
  // Values that are not that very text may still loosely equal it: let JavaScript decide those.
  const loose = isNumber
    ? ["number", "string", "boolean", "array", "object"]
    : ["number", "boolean", "array", "object"];
  return Prisma.sql`(ev.payload #>> ${segments}::text[] = ${text}
    OR jsonb_typeof(ev.payload #> ${segments}::text[]) = ANY(${loose}::text[]))`;
}

/** The open waits of live executions an event with these keys may satisfy (undefined keys: every wait). */
export function waitsFiledUnder(
  db: SqlRunner,
  keys: readonly { path: string; value: string }[] | undefined,
): Promise<Pick<EventWaitRow, "id" | "executionId" | "stepId" | "match">[]> {
  const all = keys === undefined;
  return db.query(Prisma.sql`
    SELECT w.id, w."executionId", w."stepId", w.match
    FROM "EventWait" w JOIN "Execution" x ON x.id = w."executionId" AND x.status IN ('PENDING', 'RUNNING')
    WHERE w.id IN (
      SELECT found.id FROM unnest(${(keys ?? []).map((k) => k.path)}::text[], ${(keys ?? []).map((k) => k.value)}::text[])
        AS p(path, value) JOIN "EventWait" found ON found."keyPath" = p.path AND found."keyValue" = p.value
      UNION SELECT found.id FROM "EventWait" found WHERE found."keyPath" IS NULL OR ${all})
    ORDER BY w."createdAt", w.id`);
}

/**
 * Executions with event waits a crash may have left undecided, at most
 * `limit`: candidates older than `before` (their event's pass never ran), and
 * waits never checked (a cancelOn whose after-commit check never ran).
 */
export async function undecidedWaits(db: SqlRunner, before: Date, limit: number): Promise<string[]> {
  const rows = await db.query<{ executionId: string }>(Prisma.sql`
    SELECT DISTINCT w."executionId" FROM "WaitCandidate" c JOIN "EventWait" w ON w.id = c."waitId"
    WHERE c."createdAt" < ${before}
    UNION
    SELECT DISTINCT "executionId" FROM "EventWait" WHERE "checkedSeq" IS NULL AND "createdAt" < ${before}
    LIMIT ${limit}`);
  return rows.map((row) => row.executionId);
}

/** Candidates whose wait ended (it was deleted meanwhile): nothing left to decide. */
export async function forgetOrphanCandidates(db: SqlRunner, before: Date): Promise<number> {
  return db.execute(Prisma.sql`
    DELETE FROM "WaitCandidate" c WHERE c."createdAt" < ${before}
      AND NOT EXISTS (SELECT 1 FROM "EventWait" w WHERE w.id = c."waitId")`);
}

/**
 * Waits of executions that ended SUCCEEDED or CANCELLED (a cancelOn outlives
 * its execution when nothing cancelled it), at most `limit` a call.
 */
export function forgetFinishedWaits(db: SqlRunner, limit: number): Promise<number> {
  return db.execute(Prisma.sql`
    WITH gone AS (
      DELETE FROM "EventWait" WHERE id IN (
        SELECT w.id FROM "EventWait" w JOIN "Execution" x ON x.id = w."executionId"
        WHERE x.status IN ('SUCCEEDED', 'CANCELLED') LIMIT ${limit})
      RETURNING id)
    DELETE FROM "WaitCandidate" WHERE "waitId" IN (SELECT id FROM gone)`);
}
