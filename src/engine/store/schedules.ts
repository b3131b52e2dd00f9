/**
 * The Schedule rows: a workflow's cron schedules and one-off runAt entries with their timers.
 * `nextFireAt` is the timer: set exactly while the entry can fire (not paused, its workflow
 * active and not deleted, a one-off not fired yet), null otherwise. Saves, pauses and resumes
 * set it here; firing moves it on (fire-schedule.ts); jobs are only ever derived from it.
 */
import { randomUUID } from "node:crypto";
import type { SqlRunner } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";
import type { CronSchedule, RunAtEntry, ScheduleDefinitions, ScheduleOverlap } from "../schedule-definitions.js";
import { nextCronInstant } from "../schedule-times.js";
import { timestamp } from "./change-set-sql.js";

export type ScheduleKind = "cron" | "run_at";

export interface ScheduleRow {
  id: string;
  workflowId: string;
  key: string;
  position: number;
  kind: ScheduleKind;
  cron: string | null;
  timezone: string;
  runAt: Date | null;
  payload: Record<string, unknown>;
  overlap: ScheduleOverlap;
  catchupWindowMs: number;
  paused: boolean;
  nextFireAt: Date | null;
  lastScheduledAt: Date | null;
  lastFiredAt: Date | null;
  lastExecutionId: string | null;
}

/** A timer to hand to the queue after commit. */
export interface ScheduleTimer {
  id: string;
  nextFireAt: Date;
}

export const SCHEDULE_COLUMNS = Prisma.raw(
  `s.id, s."workflowId", s.key, s.position, s.kind, s.cron, s.timezone, s."runAt", s.payload, s.overlap,
   s."catchupWindowMs", s.paused, s."nextFireAt", s."lastScheduledAt", s."lastFiredAt", s."lastExecutionId"`,
);

/** A workflow's entries, cron schedules first, each list in its saved order. */
export function readSchedules(sql: SqlRunner, workflowIds: readonly string[]): Promise<ScheduleRow[]> {
  if (workflowIds.length === 0) return Promise.resolve([]);
  return sql.query<ScheduleRow>(Prisma.sql`
    SELECT ${SCHEDULE_COLUMNS} FROM "Schedule" s WHERE s."workflowId" IN (${Prisma.join(workflowIds)})
    ORDER BY s."workflowId", s.kind, s.position`);
}

/** The timer an entry should have now (see the file's comment). */
export function timerOf(row: ScheduleRow, active: boolean, now: Date): Date | null {
  if (!active || row.paused) return null;
  if (row.kind === "run_at") return row.lastScheduledAt ? null : (row.nextFireAt ?? row.runAt);
  return row.nextFireAt ?? (row.cron ? nextCronInstant(row.cron, row.timezone, now) : null);
}

/**
 * Writes a save's entries in its transaction: an entry whose id exists keeps its state (its
 * timer too, unless its cron, zone or instant changed), a new one starts from now, one left out
 * goes (its firings stay: their instants never fire again). A list left out keeps its rows; every
 * timer then follows `active`. Returns the timers to enqueue.
 */
export async function saveSchedules(
  tx: SqlRunner,
  workflowId: string,
  definitions: ScheduleDefinitions,
  active: boolean,
  now: Date,
): Promise<ScheduleTimer[]> {
  const stored = await tx.query<ScheduleRow>(Prisma.sql`
    SELECT ${SCHEDULE_COLUMNS} FROM "Schedule" s WHERE s."workflowId" = ${workflowId} FOR UPDATE`);
  const rows: ScheduleRow[] = [];
  const lists: [ScheduleKind, (CronSchedule | RunAtEntry)[] | undefined][] = [
    ["cron", definitions.schedules],
    ["run_at", definitions.runAt],
  ];
  for (const [kind, list] of lists) {
    if (list === undefined) {
      rows.push(...stored.filter((r) => r.kind === kind));
      continue;
    }
    rows.push(...list.map((entry, position) => merged(kind, entry, position, stored, workflowId)));
  }
  const kept = new Set(rows.map((r) => r.key));
  const gone = stored.filter((r) => !kept.has(r.key) || rows.some((n) => n.key === r.key && n.id !== r.id));
  if (gone.length > 0) {
    await tx.execute(Prisma.sql`DELETE FROM "Schedule" WHERE id IN (${Prisma.join(gone.map((r) => r.id))})`);
  }
  for (const row of rows) row.nextFireAt = timerOf(row, active, now);
  if (rows.length > 0) await upsert(tx, rows, now);
  return rows.flatMap((r) => (r.nextFireAt ? [{ id: r.id, nextFireAt: r.nextFireAt }] : []));
}

/** The row an entry makes: the stored one with that id (and kind) updated, or a new one. */
function merged(
  kind: ScheduleKind,
  entry: CronSchedule | RunAtEntry,
  position: number,
  stored: readonly ScheduleRow[],
  workflowId: string,
): ScheduleRow {
  const existing = stored.find((r) => r.key === entry.id && r.kind === kind);
  const base: ScheduleRow = existing ?? {
    id: randomUUID(),
    workflowId,
    key: entry.id,
    position,
    kind,
    cron: null,
    timezone: "UTC",
    runAt: null,
    payload: {},
    overlap: "allow",
    catchupWindowMs: 0,
    paused: false,
    nextFireAt: null,
    lastScheduledAt: null,
    lastFiredAt: null,
    lastExecutionId: null,
  };
  const row: ScheduleRow = { ...base, position, payload: entry.payload };
  if ("cron" in entry) {
    if (row.cron !== entry.cron || row.timezone !== entry.timezone) row.nextFireAt = null;
    Object.assign(row, {
      cron: entry.cron,
      timezone: entry.timezone,
      overlap: entry.overlap,
      catchupWindowMs: entry.catchupWindowMs,
      paused: entry.paused ?? row.paused,
    });
  } else if (row.runAt?.getTime() !== entry.at.getTime()) {
    Object.assign(row, { runAt: entry.at, nextFireAt: null, lastScheduledAt: null });
  }
  return row;
}

async function upsert(tx: SqlRunner, rows: readonly ScheduleRow[], now: Date): Promise<void> {
  const values = rows.map(
    (r) => Prisma.sql`(${r.id}, ${r.workflowId}, ${r.key}, ${r.position}::int, ${r.kind}, ${r.cron}, ${r.timezone},
      ${timestamp(r.runAt)}, ${JSON.stringify(r.payload)}::jsonb, ${r.overlap}, ${r.catchupWindowMs}::int, ${r.paused},
      ${timestamp(r.nextFireAt)}, ${timestamp(r.lastScheduledAt)}, ${timestamp(now)}, ${timestamp(now)})`,
  );
  await tx.execute(Prisma.sql`
    INSERT INTO "Schedule" (id, "workflowId", key, position, kind, cron, timezone, "runAt", payload, overlap,
      "catchupWindowMs", paused, "nextFireAt", "lastScheduledAt", "createdAt", "updatedAt")
    VALUES ${Prisma.join(values)}
    ON CONFLICT (id) DO UPDATE SET position = EXCLUDED.position, cron = EXCLUDED.cron, timezone = EXCLUDED.timezone,
      "runAt" = EXCLUDED."runAt", payload = EXCLUDED.payload, overlap = EXCLUDED.overlap,
      "catchupWindowMs" = EXCLUDED."catchupWindowMs", paused = EXCLUDED.paused, "nextFireAt" = EXCLUDED."nextFireAt",
      "lastScheduledAt" = EXCLUDED."lastScheduledAt", "updatedAt" = EXCLUDED."updatedAt"`);
}

/**
 * Pauses or resumes one entry; undefined when the workflow (not deleted) has no entry with that
 * id. Resuming starts from now: instants that passed while paused are not caught up.
 */
export async function setPaused(
  tx: SqlRunner,
  workflowId: string,
  key: string,
  paused: boolean,
  now: Date,
): Promise<{ row: ScheduleRow; timer: ScheduleTimer | undefined } | undefined> {
  const [found] = await tx.query<ScheduleRow & { active: boolean }>(Prisma.sql`
    SELECT ${SCHEDULE_COLUMNS}, w."isActive" AND w."pausedAt" IS NULL AS active
    FROM "Schedule" s JOIN "Workflow" w ON w.id = s."workflowId"
    WHERE s."workflowId" = ${workflowId} AND s.key = ${key} AND w."deletedAt" IS NULL FOR UPDATE OF s`);
  if (!found) return undefined;
  const { active, ...row } = found;
  if (row.paused !== paused) {
    row.paused = paused;
    row.nextFireAt = null;
    row.nextFireAt = timerOf(row, active, now);
    await tx.execute(Prisma.sql`
      UPDATE "Schedule" SET paused = ${paused}, "nextFireAt" = ${timestamp(row.nextFireAt)}, "updatedAt" = ${timestamp(now)}
      WHERE id = ${row.id}`);
  }
  return { row, timer: row.nextFireAt ? { id: row.id, nextFireAt: row.nextFireAt } : undefined };
}

/**
 * Entries whose timer is due before `cutoff` (their job may be lost), or every timer when
 * `cutoff` is undefined (the queue lost its jobs), after `afterId` in id order.
 */
export function readTimers(
  sql: SqlRunner,
  page: { afterId: string; limit: number },
  cutoff: Date | undefined,
): Promise<ScheduleTimer[]> {
  return sql.query<ScheduleTimer>(Prisma.sql`
    SELECT id, "nextFireAt" FROM "Schedule"
    WHERE "nextFireAt" IS NOT NULL ${cutoff ? Prisma.sql`AND "nextFireAt" < ${timestamp(cutoff)}` : Prisma.empty}
      AND id > ${page.afterId}
    ORDER BY id LIMIT ${page.limit}`);
}

/**
 * Entries of active workflows holding a buffered firing whose blocking execution ended (its wake
 * was lost): to fire again. (An inactive or paused workflow's buffered firing waits for it to be
 * active again.)
 */
export function readBuffered(sql: SqlRunner, limit: number): Promise<{ id: string }[]> {
  return sql.query<{ id: string }>(Prisma.sql`
    SELECT DISTINCT s.id FROM "ScheduleFiring" f
    JOIN "Schedule" s ON s.id = f."scheduleId"
    JOIN "Workflow" w ON w.id = s."workflowId" AND w."isActive" AND w."deletedAt" IS NULL AND w."pausedAt" IS NULL
    LEFT JOIN "Execution" e ON e.id = s."lastExecutionId"
    WHERE f.status = 'BUFFERED' AND (e.id IS NULL OR e.status NOT IN ('PENDING', 'RUNNING'))
    LIMIT ${limit}`);
}

/** What a schedule's job reads before firing anything, without a lock. */
export interface TimerState {
  workflowId: string;
  /** The workflow's current version; null once it is deleted. */
  workflowVersion: number | null;
  nextFireAt: Date | null;
  /** A firing waits for the execution before it to end (buffer_one). */
  buffered: boolean;
}

/** A schedule's timer, its workflow's current version and whether a firing is buffered (whether its job has anything to do). */
export async function readTimer(sql: SqlRunner, scheduleId: string): Promise<TimerState | undefined> {
  const [row] = await sql.query<TimerState>(Prisma.sql`
    SELECT s."workflowId", CASE WHEN w."deletedAt" IS NULL THEN w.version END AS "workflowVersion", s."nextFireAt",
      EXISTS (SELECT 1 FROM "ScheduleFiring" f WHERE f.status = 'BUFFERED' AND f."scheduleId" = s.id) AS buffered
    FROM "Schedule" s JOIN "Workflow" w ON w.id = s."workflowId" WHERE s.id = ${scheduleId}`);
  return row;
}

/** Schedules due by `now`, soonest first, with their workflow's current version (null once deleted). */
export function readDue(sql: SqlRunner, now: Date, limit: number): Promise<(TimerState & { id: string })[]> {
  return sql.query<TimerState & { id: string }>(Prisma.sql`
    SELECT s.id, s."workflowId", CASE WHEN w."deletedAt" IS NULL THEN w.version END AS "workflowVersion", s."nextFireAt",
      false AS buffered
    FROM "Schedule" s JOIN "Workflow" w ON w.id = s."workflowId"
    WHERE s."nextFireAt" <= ${timestamp(now)} ORDER BY s."nextFireAt" LIMIT ${limit}`);
}

/** The row id of a workflow's entry (not deleted), by its id in the definition. */
export async function scheduleIdOf(sql: SqlRunner, workflowId: string, key: string): Promise<string | undefined> {
  const [row] = await sql.query<{ id: string }>(Prisma.sql`
    SELECT s.id FROM "Schedule" s JOIN "Workflow" w ON w.id = s."workflowId"
    WHERE s."workflowId" = ${workflowId} AND s.key = ${key} AND w."deletedAt" IS NULL`);
  return row?.id;
}
