/**
 * Retention's statements (the loop is engine/retention.ts): finished executions deleted a batch
 * at a time with everything that hangs off them, old events nothing refers to, schedule firings
 * that can never fire again, and the change log of executions finished long ago.
 *
 * What an execution batch never takes (checked in the SELECT that locks the batch, FOR UPDATE
 * SKIP LOCKED, so a retry or a cancel holding the row is passed over):
 * - an execution that is not finished, or has a step still PENDING, RUNNING or WAITING;
 * - a child whose parent is unfinished (the parent reads its children's outputs when it settles),
 *   and a parent with an unfinished child;
 * - an execution an unfinished rerun was made from (rerunOfId), and every execution of a
 *   workflow with a bulk replay still RUNNING (the replay reruns them later, in creation order).
 * A schedule's last execution may go: a missing one reads as ended (fire-schedule.ts joins it
 * LEFT, readBuffered treats it as ended), which is what a finished one is.
 */
import type { SqlRunner } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";
import { timestamp } from "./change-set-sql.js";

/** Rows deleted, by kind (the kinds of workflow_retention_deleted_total). */
export interface PruneCounts {
  executions: number;
  steps: number;
  notifications: number;
  changes: number;
  waits: number;
  events: number;
  firings: number;
  flow: number;
}

export function noCounts(): PruneCounts {
  return { executions: 0, steps: 0, notifications: 0, changes: 0, waits: 0, events: 0, firings: 0, flow: 0 };
}

export function addCounts(into: PruneCounts, more: Partial<PruneCounts>): PruneCounts {
  for (const [kind, n] of Object.entries(more) as [keyof PruneCounts, number][]) into[kind] += n;
  return into;
}

export type FinishedStatus = "SUCCEEDED" | "SKIPPED" | "FAILED" | "CANCELLED";

const OPEN_STEP = Prisma.sql`('PENDING', 'RUNNING', 'WAITING')`;
const OPEN_EXECUTION = Prisma.sql`('PENDING', 'RUNNING')`;

interface Doomed {
  id: string;
  eventId: string | null;
  finishedAt: Date;
}

/**
 * One batch, in its own short transaction: up to `limit` executions of `status` that ended before
 * `cutoff`, oldest first, deleted with their rows. Their events go too when older than
 * `eventsCutoff` and nothing else refers to them. Returns what it deleted (executions: 0 when done)
 * and the end time of the last one (the next batch's `after`).
 */
export async function pruneExecutionBatch(
  tx: SqlRunner,
  status: FinishedStatus,
  cutoff: Date,
  eventsCutoff: Date | null,
  limit: number,
  after?: Date,
): Promise<{ counts: PruneCounts; last: Date | undefined }> {
  // OFFSET 0 keeps each NOT EXISTS a lookup per candidate by its index: as anti-joins, the planner
  // (expecting few open steps) reads every open step by a scan of all of Step, once per batch.
  // `after`: where the previous batch ended, so the scan skips the index entries it left dead.
  const doomed = await tx.query<Doomed>(Prisma.sql`
    SELECT e.id, e."eventId", e."finishedAt" FROM "Execution" e
    WHERE e.status = ${status}::"ExecutionStatus" AND e."finishedAt" < ${timestamp(cutoff)}
      ${after ? Prisma.sql`AND e."finishedAt" >= ${timestamp(after)}` : Prisma.empty}
      AND NOT EXISTS (SELECT 1 FROM "Step" s WHERE s."executionId" = e.id AND s.status IN ${OPEN_STEP} OFFSET 0)
      AND NOT EXISTS (
        SELECT 1 FROM "Execution" p WHERE p.id = e."parentExecutionId" AND p.status IN ${OPEN_EXECUTION} OFFSET 0)
      AND NOT EXISTS (
        SELECT 1 FROM "Execution" c WHERE c."parentExecutionId" = e.id AND c.status IN ${OPEN_EXECUTION} OFFSET 0)
      AND NOT EXISTS (
        SELECT 1 FROM "Execution" r WHERE r."rerunOfId" = e.id AND r.status IN ${OPEN_EXECUTION} OFFSET 0)
      AND NOT EXISTS (SELECT 1 FROM "Replay" rp WHERE rp."workflowId" = e."workflowId" AND rp.status = 'RUNNING')
    ORDER BY e."finishedAt" LIMIT ${limit}
    FOR UPDATE OF e SKIP LOCKED`);
  const counts = noCounts();
  if (doomed.length === 0) return { counts, last: undefined };
  const ids = doomed.map((d) => d.id);
  const [resumed] = await tx.query<{ eventIds: string[] | null; n: number }>(Prisma.sql`
    WITH gone AS (DELETE FROM "EventResume" WHERE "executionId" = ANY(${ids}::text[]) RETURNING "eventId")
    SELECT array_agg(DISTINCT "eventId") AS "eventIds", count(*)::int AS n FROM gone`);
  counts.waits += resumed?.n ?? 0;
  const [waits] = await tx.query<{ n: number }>(Prisma.sql`
    WITH gone AS (DELETE FROM "EventWait" WHERE "executionId" = ANY(${ids}::text[]) RETURNING id),
      candidates AS (DELETE FROM "WaitCandidate" WHERE "waitId" IN (SELECT id FROM gone))
    SELECT count(*)::int AS n FROM gone`);
  counts.waits += waits?.n ?? 0;
  counts.flow += await tx.execute(Prisma.sql`DELETE FROM "FlowSlot" WHERE "executionId" = ANY(${ids}::text[])`);
  // A rate limit's window counts starts for at most MAX_FLOW_PERIOD_MS (7 days), over by now.
  counts.flow += await tx.execute(Prisma.sql`DELETE FROM "FlowStart" WHERE "executionId" = ANY(${ids}::text[])`);
  // The firing row stays (its instant must never start again); the sweep of firings deletes it later.
  await tx.execute(
    Prisma.sql`UPDATE "ScheduleFiring" SET "executionId" = NULL WHERE "executionId" = ANY(${ids}::text[])`,
  );
  counts.notifications += await tx.execute(
    Prisma.sql`DELETE FROM "Notification" WHERE "executionId" = ANY(${ids}::text[])`,
  );
  counts.changes += await tx.execute(
    Prisma.sql`DELETE FROM "ExecutionChange" WHERE "executionId" = ANY(${ids}::text[])`,
  );
  counts.steps += await tx.execute(Prisma.sql`DELETE FROM "Step" WHERE "executionId" = ANY(${ids}::text[])`);
  // ExecutionFlow, CapacityWait and ChildBatch cascade; children and reruns kept get NULL links.
  counts.executions += await tx.execute(Prisma.sql`DELETE FROM "Execution" WHERE id = ANY(${ids}::text[])`);
  const eventIds = [
    ...new Set([...doomed.flatMap((d) => (d.eventId ? [d.eventId] : [])), ...(resumed?.eventIds ?? [])]),
  ];
  if (eventsCutoff && eventIds.length > 0) {
    counts.events += await tx.execute(Prisma.sql`
      DELETE FROM "Event" ev WHERE ev.id = ANY(${eventIds}::text[]) AND ev."receivedAt" < ${timestamp(eventsCutoff)}
        AND ${unreferencedEvent}`);
  }
  return { counts, last: doomed.at(-1)?.finishedAt };
}

/** Nothing kept refers to the event `ev`: no execution it started, no wait it resumed, no open debounce window, no undecided candidate. */
const unreferencedEvent = Prisma.sql`
  NOT EXISTS (SELECT 1 FROM "Execution" x WHERE x."eventId" = ev.id)
  AND NOT EXISTS (SELECT 1 FROM "EventResume" r WHERE r."eventId" = ev.id)
  AND NOT EXISTS (SELECT 1 FROM "DebounceEvent" d WHERE d."eventId" = ev.id)
  AND NOT EXISTS (SELECT 1 FROM "WaitCandidate" w WHERE w."eventId" = ev.id)`;

/**
 * The highest event seq the sweep may reach now: the last event received before `cutoff` (seq and
 * receivedAt grow together, both given as an event arrives), and none that a
 * wait of an unfinished execution may still look at (after its checkedSeq, or its afterSeq when
 * not yet checked; a wait checked against nothing yet holds every event).
 */
export async function eventSweepBound(db: SqlRunner, cutoff: Date): Promise<bigint> {
  const [row] = await db.query<{ bound: bigint | null; horizon: bigint | null }>(Prisma.sql`
    SELECT
      (SELECT seq FROM "Event" WHERE "receivedAt" < ${timestamp(cutoff)} ORDER BY "receivedAt" DESC LIMIT 1) AS bound,
      (SELECT min(COALESCE(w."checkedSeq", w."afterSeq", 0)) FROM "EventWait" w
        JOIN "Execution" x ON x.id = w."executionId" WHERE x.status IN ${OPEN_EXECUTION}) AS horizon`);
  const bound = BigInt(row?.bound ?? 0);
  return row?.horizon === null || row?.horizon === undefined ? bound : min(bound, BigInt(row.horizon));
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/**
 * One batch of the event sweep: the next `limit` events after `afterSeq` (up to `bound`, received
 * before `cutoff`), the unreferenced ones deleted. `last`: the last seq looked at (the next batch
 * starts after it); `held`: the first one held only for a while (an open debounce window, an
 * undecided candidate), which the saved cursor must not pass, so a later pass comes back for it.
 * Events kept for an execution are deleted with it.
 */
export async function sweepEventBatch(
  db: SqlRunner,
  afterSeq: bigint,
  bound: bigint,
  cutoff: Date,
  limit: number,
): Promise<{ deleted: number; last: bigint; scanned: number; held: bigint | undefined }> {
  const [row] = await db.query<{ scanned: number; last: bigint | null; held: bigint | null; deleted: number }>(
    Prisma.sql`
    WITH picked AS (
      SELECT ev.id, ev.seq FROM "Event" ev
      WHERE ev.seq > ${afterSeq} AND ev.seq <= ${bound} AND ev."receivedAt" < ${timestamp(cutoff)}
      ORDER BY ev.seq LIMIT ${limit}),
    held AS (
      SELECT min(w.seq) AS seq FROM picked w
      WHERE EXISTS (SELECT 1 FROM "DebounceEvent" d WHERE d."eventId" = w.id)
        OR EXISTS (SELECT 1 FROM "WaitCandidate" c WHERE c."eventId" = w.id)),
    gone AS (
      DELETE FROM "Event" ev WHERE ev.id IN (SELECT id FROM picked) AND ${unreferencedEvent} RETURNING 1)
    SELECT (SELECT count(*)::int FROM picked) AS scanned, (SELECT max(seq) FROM picked) AS last,
      (SELECT seq FROM held) AS held, (SELECT count(*)::int FROM gone) AS deleted`,
  );
  const scanned = row?.scanned ?? 0;
  if (!row || scanned === 0) return { deleted: 0, last: afterSeq, scanned: 0, held: undefined };
  return {
    deleted: row.deleted,
    last: BigInt(row.last ?? afterSeq),
    scanned,
    held: row.held === null ? undefined : BigInt(row.held),
  };
}

/**
 * Schedule firings that can never matter again: older than `cutoff`, not BUFFERED, without an
 * execution (skipped, missed, or theirs was pruned), and older than their schedule's catch-up
 * window (at least the 60 s late tolerance): such an instant is recorded MISSED, never started,
 * whether its row is there or not (fire-schedule.ts isMissed), and a timer only moves forward.
 */
export function pruneFiringBatch(db: SqlRunner, cutoff: Date, now: Date, limit: number): Promise<number> {
  return db.execute(Prisma.sql`
    DELETE FROM "ScheduleFiring" WHERE id IN (
      SELECT f.id FROM "ScheduleFiring" f LEFT JOIN "Schedule" s ON s.id = f."scheduleId"
      WHERE f."firedAt" < ${timestamp(cutoff)} AND f.status <> 'BUFFERED'
        AND (f."executionId" IS NULL OR NOT EXISTS (SELECT 1 FROM "Execution" x WHERE x.id = f."executionId"))
        AND f."scheduledAt" < ${timestamp(now)}::timestamp(3)
          - make_interval(secs => GREATEST(60000, COALESCE(s."catchupWindowMs", 0)) / 1000.0)
      LIMIT ${limit})`);
}

export interface CompactionCursor {
  finishedAt: Date;
  id: string;
}

/**
 * One batch of the change-log compaction: the next `limit` executions of `status` that ended in
 * [from, to), after `cursor`, lose their ExecutionChange rows (a subscriber asking for changes
 * after a seq no longer logged gets the execution's snapshot instead). Returns the new cursor,
 * undefined when the range is done.
 */
export async function compactChangeLogBatch(
  db: SqlRunner,
  status: FinishedStatus,
  from: Date | null,
  to: Date,
  cursor: CompactionCursor | undefined,
  limit: number,
): Promise<{ deleted: number; cursor: CompactionCursor | undefined }> {
  const after = cursor
    ? Prisma.sql`AND e."finishedAt" >= ${timestamp(cursor.finishedAt)} AND (e."finishedAt", e.id) > (${timestamp(cursor.finishedAt)}, ${cursor.id})`
    : from
      ? Prisma.sql`AND e."finishedAt" >= ${timestamp(from)}`
      : Prisma.empty;
  const picked = await db.query<{ id: string; finishedAt: Date }>(Prisma.sql`
    SELECT e.id, e."finishedAt" FROM "Execution" e
    WHERE e.status = ${status}::"ExecutionStatus" AND e."finishedAt" < ${timestamp(to)} ${after}
    ORDER BY e."finishedAt", e.id LIMIT ${limit}`);
  const last = picked.at(-1);
  if (!last) return { deleted: 0, cursor: undefined };
  const ids = picked.map((p) => p.id);
  // Only while still finished: a retried execution runs on and logs again.
  const deleted = await db.execute(Prisma.sql`
    DELETE FROM "ExecutionChange" c USING "Execution" e
    WHERE c."executionId" = ANY(${ids}::text[]) AND e.id = c."executionId" AND e.status = ${status}::"ExecutionStatus"`);
  return { deleted, cursor: { finishedAt: last.finishedAt, id: last.id } };
}

export interface RetentionStateRow {
  eventSeq: bigint;
  compactedUntil: Date | null;
}

const STATE_KEY = "pruner";

/**
 * Takes (or renews) the pruner's lease for `ms`, by the database's clock: one statement, so it
 * needs no transaction of its own (PGlite's one connection included). Undefined while another
 * holder's lease runs.
 */
export async function takeRetentionLease(
  db: SqlRunner,
  holder: string,
  ms: number,
): Promise<RetentionStateRow | undefined> {
  const [row] = await db.query<RetentionStateRow>(Prisma.sql`
    INSERT INTO "RetentionState" (key, holder, "leaseUntil", "updatedAt")
    VALUES (${STATE_KEY}, ${holder}, now() + make_interval(secs => ${ms / 1000}::float8), now())
    ON CONFLICT (key) DO UPDATE SET holder = EXCLUDED.holder, "leaseUntil" = EXCLUDED."leaseUntil", "updatedAt" = now()
    WHERE "RetentionState"."leaseUntil" IS NULL OR "RetentionState"."leaseUntil" < now()
      OR "RetentionState".holder = EXCLUDED.holder
    RETURNING "eventSeq", "compactedUntil"`);
  return row ? { eventSeq: BigInt(row.eventSeq), compactedUntil: row.compactedUntil } : undefined;
}

/** Saves how far the sweeps came, while holding the lease. */
export async function saveRetentionState(
  db: SqlRunner,
  holder: string,
  state: Partial<RetentionStateRow>,
): Promise<void> {
  const sets = [Prisma.sql`"updatedAt" = now()`];
  if (state.eventSeq !== undefined) sets.push(Prisma.sql`"eventSeq" = ${state.eventSeq}`);
  if (state.compactedUntil !== undefined) sets.push(Prisma.sql`"compactedUntil" = ${timestamp(state.compactedUntil)}`);
  await db.execute(Prisma.sql`
    UPDATE "RetentionState" SET ${Prisma.join(sets)} WHERE key = ${STATE_KEY} AND holder = ${holder}`);
}

export async function releaseRetentionLease(db: SqlRunner, holder: string): Promise<void> {
  await db.execute(Prisma.sql`
    UPDATE "RetentionState" SET "leaseUntil" = NULL WHERE key = ${STATE_KEY} AND holder = ${holder}`);
}
