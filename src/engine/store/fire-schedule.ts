/**
 * Firing a schedule: in one transaction under its Schedule row's lock, every instant due by now
 * is handled oldest first (an execution started, or recorded as skipped, buffered or missed) and
 * the timer moves on. Each instant is a ScheduleFiring row unique per (workflow, schedule id,
 * instant), written before its execution: a second server, a redone job or a replayed timer finds
 * the row (or the moved timer) and starts nothing.
 *
 * Lateness: an instant fires when the engine gets to it within max(LATE_TOLERANCE_MS,
 * catchupWindowMs) of it; older ones (the engine was down) are recorded as one MISSED row per gap.
 * A one-off (runAt) always fires, however late. Overlap (skip, buffer_one, cancel_previous) looks
 * at the last execution the schedule started.
 */
import type { SqlRunner } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";
import { nextCronInstant, nextCronInstants } from "../schedule-times.js";
import { cancelLocked } from "./cancel-execution.js";
import { ACTIVE_EXECUTION, type ChangeSet } from "./change-set.js";
import { persistChangeSet, timestamp } from "./change-set-sql.js";
import { lockExecutionIn } from "./execution-lock.js";
import { SCHEDULE_COLUMNS, type ScheduleRow, type ScheduleTimer } from "./schedules.js";
import { type ExecutionStarter, type NewExecution, writeExecutionsIn } from "./start-executions.js";

/** A firing this late is still on time, whatever the catch-up window (a lost job, a restart). */
export const LATE_TOLERANCE_MS = 60_000;
/** Instants handled per transaction; the rest by the next job, at once. */
const MAX_INSTANTS_PER_PASS = 100;
/** Missed instants counted one by one at most (a MISSED row says how many, up to this). */
export const MAX_MISSED_COUNTED = 1_000;

export type FiringStatus = "STARTED" | "SKIPPED" | "BUFFERED" | "MISSED";

export interface Firing {
  scheduledAt: Date;
  firedAt: Date;
  status: FiringStatus;
  executionId: string | null;
  reason: string | null;
  manual: boolean;
}

export interface FireResult {
  changes: ChangeSet[];
  /** The executions started (their cancelOn is checked after commit). */
  started: NewExecution[];
  firings: Firing[];
  /** The next instant, when there is one (its job is enqueued after commit). */
  timer: ScheduleTimer | undefined;
}

interface LockedSchedule extends ScheduleRow {
  active: boolean;
  lastActive: boolean;
  buffered: boolean;
}

/** What one pass knows and changes: the schedule's row, its last execution, what was written. */
interface Pass {
  tx: SqlRunner;
  row: LockedSchedule;
  now: Date;
  starter: ExecutionStarter;
  result: FireResult;
}

/**
 * Handles the schedule's due instants (with `manual`, one instant now instead: triggerSchedule),
 * after starting its buffered firing if the execution it waited for ended. Undefined when the
 * schedule is gone. `starter` is undefined when its workflow was deleted: the timer stops.
 */
export async function fireSchedule(
  tx: SqlRunner,
  scheduleId: string,
  now: Date,
  starter: ExecutionStarter | undefined,
  { manual = false }: { manual?: boolean } = {},
): Promise<FireResult | undefined> {
  const [row] = await tx.query<LockedSchedule>(Prisma.sql`
    SELECT ${SCHEDULE_COLUMNS}, w."isActive" AND w."deletedAt" IS NULL AND w."pausedAt" IS NULL AS active,
      COALESCE(e.status IN ('PENDING', 'RUNNING'), false) AS "lastActive",
      EXISTS (SELECT 1 FROM "ScheduleFiring" f WHERE f.status = 'BUFFERED' AND f."scheduleId" = s.id) AS buffered
    FROM "Schedule" s JOIN "Workflow" w ON w.id = s."workflowId" LEFT JOIN "Execution" e ON e.id = s."lastExecutionId"
    WHERE s.id = ${scheduleId} FOR UPDATE OF s`);
  if (!row) return undefined;
  const result: FireResult = { changes: [], started: [], firings: [], timer: undefined };
  if (!starter || (!row.active && !manual)) {
    if (row.nextFireAt) await tx.execute(Prisma.sql`UPDATE "Schedule" SET "nextFireAt" = NULL WHERE id = ${row.id}`);
    return result;
  }
  const pass: Pass = { tx, row, now, starter, result };
  await startBuffered(pass);
  let next = row.nextFireAt;
  if (manual) {
    await handleInstant(pass, now, true);
  } else {
    for (let handled = 0; next && next <= now && handled < MAX_INSTANTS_PER_PASS; handled += 1) {
      next = isMissed(row, next, now) ? await recordMissed(pass, next) : await fireInstant(pass, next);
    }
  }
  // Nothing was due and nothing started (another process fired it a moment ago): nothing to write, no timer.
  const unchanged = result.firings.length === 0 && result.changes.length === 0;
  if (unchanged && next?.getTime() === row.nextFireAt?.getTime()) return result;
  await tx.execute(Prisma.sql`
    UPDATE "Schedule" SET "nextFireAt" = ${timestamp(next)}, "lastScheduledAt" = ${timestamp(row.lastScheduledAt)},
      "lastFiredAt" = ${timestamp(row.lastFiredAt)}, "lastExecutionId" = ${row.lastExecutionId}, "updatedAt" = ${timestamp(now)}
    WHERE id = ${row.id}`);
  row.nextFireAt = next;
  result.timer = next ? { id: row.id, nextFireAt: next } : undefined;
  return result;
}

function isMissed(row: ScheduleRow, instant: Date, now: Date): boolean {
  if (row.kind === "run_at") return false;
  return now.getTime() - instant.getTime() > Math.max(LATE_TOLERANCE_MS, row.catchupWindowMs);
}

/** Fires one instant; returns the next one (null: no more). */
async function fireInstant(pass: Pass, instant: Date): Promise<Date | null> {
  await handleInstant(pass, instant, false);
  const { row } = pass;
  return row.kind === "cron" && row.cron ? nextCronInstant(row.cron, row.timezone, instant) : null;
}

/** Records the instants from `first` that are older than the window as one MISSED row; returns the first in it. */
async function recordMissed(pass: Pass, first: Date): Promise<Date | null> {
  const { row, now } = pass;
  const cron = row.cron as string;
  const windowStart = new Date(now.getTime() - Math.max(LATE_TOLERANCE_MS, row.catchupWindowMs));
  let count = 0;
  let cursor: Date | null = first;
  while (cursor && cursor < windowStart && count < MAX_MISSED_COUNTED) {
    count += 1;
    cursor = nextCronInstant(cron, row.timezone, cursor);
  }
  const counted = cursor && cursor < windowStart ? `at least ${count}` : String(count);
  // Past the count: jump to the window (a second early, then on: croner's next is strictly after).
  while (cursor && cursor < windowStart) {
    cursor = nextCronInstant(cron, row.timezone, new Date(Math.max(cursor.getTime(), windowStart.getTime() - 1000)));
  }
  const window = row.catchupWindowMs > LATE_TOLERANCE_MS ? `catchupWindowMs ${row.catchupWindowMs}` : "60 s";
  const reason = `${counted} instant(s) from ${first.toISOString()} passed while the engine was not firing, older than ${window}`;
  const missed = {
    scheduledAt: first,
    firedAt: now,
    status: "MISSED" as const,
    executionId: null,
    reason,
    manual: false,
  };
  await insertFiring(pass, missed, count);
  return cursor;
}

/** One instant, by the schedule's overlap policy. */
async function handleInstant(pass: Pass, instant: Date, manual: boolean): Promise<void> {
  const { row } = pass;
  const running = row.lastActive ? row.lastExecutionId : null;
  const firing = (status: FiringStatus, reason: string) => ({
    scheduledAt: instant,
    firedAt: pass.now,
    status,
    executionId: null,
    reason,
    manual,
  });
  if (running && row.overlap === "skip") {
    await insertFiring(
      pass,
      firing("SKIPPED", `execution ${running} of this schedule was still running (overlap: skip)`),
    );
    return;
  }
  if (running && row.overlap === "buffer_one") {
    if (row.buffered) {
      const reason = `a firing was already buffered behind execution ${running} (overlap: buffer_one)`;
      await insertFiring(pass, firing("SKIPPED", reason));
    } else if (
      await insertFiring(pass, firing("BUFFERED", `starts when execution ${running} ends (overlap: buffer_one)`))
    ) {
      row.buffered = true;
    }
    return;
  }
  if (running && row.overlap === "cancel_previous") await cancelPrevious(pass, running, instant);
  await start(pass, instant, manual);
}

/** Starts an execution for the instant (a firing row first: an instant handled before starts nothing). */
async function start(pass: Pass, instant: Date, manual: boolean, bufferedId?: string): Promise<void> {
  const { tx, row, now, starter, result } = pass;
  const payload = payloadFor(row, instant, manual, now);
  const planned = starter.plan(payload);
  if (bufferedId) {
    await tx.execute(Prisma.sql`
      UPDATE "ScheduleFiring" SET status = 'STARTED', "executionId" = ${planned.id}, "firedAt" = ${timestamp(now)},
        reason = NULL WHERE id = ${bufferedId}`);
  } else {
    const firing = {
      scheduledAt: instant,
      firedAt: now,
      status: "STARTED" as const,
      executionId: planned.id,
      reason: null,
      manual,
    };
    if (!(await insertFiring(pass, firing))) return;
  }
  await writeExecutionsIn(tx, [{ executions: [planned], payload }], now, { hint: true });
  if (row.overlap === "buffer_one") {
    await tx.execute(Prisma.sql`UPDATE "Execution" SET "wakesScheduleId" = ${row.id} WHERE id = ${planned.id}`);
  }
  Object.assign(row, { lastExecutionId: planned.id, lastActive: true, lastScheduledAt: instant, lastFiredAt: now });
  result.changes.push(planned.changes);
  result.started.push(planned);
}

/** The buffered firing, started once the execution it waited for ended. */
async function startBuffered(pass: Pass): Promise<void> {
  const { tx, row } = pass;
  if (!row.buffered || row.lastActive) return;
  const [buffered] = await tx.query<{ id: string; scheduledAt: Date }>(Prisma.sql`
    SELECT id, "scheduledAt" FROM "ScheduleFiring" WHERE status = 'BUFFERED' AND "scheduleId" = ${row.id}
    ORDER BY "scheduledAt" LIMIT 1`);
  row.buffered = false;
  if (buffered) await start(pass, buffered.scheduledAt, false, buffered.id);
}

async function cancelPrevious(pass: Pass, executionId: string, instant: Date): Promise<void> {
  const { tx, row, now, result } = pass;
  const changes = await lockExecutionIn(tx, executionId);
  if (!changes || !ACTIVE_EXECUTION.has(changes.execution.status)) return;
  await cancelLocked(tx, changes, now);
  changes.executionPatch.error = `cancelled: schedule ${row.key} fired again for ${instant.toISOString()} (overlap: cancel_previous)`;
  await persistChangeSet(tx, changes);
  result.changes.push(changes);
}

/** Writes a firing row; false when the instant was handled before (the unique key). */
async function insertFiring(pass: Pass, firing: Firing, missedCount?: number): Promise<boolean> {
  const { tx, row, result } = pass;
  const inserted = await tx.execute(Prisma.sql`
    INSERT INTO "ScheduleFiring" (id, "scheduleId", "workflowId", "scheduleKey", "scheduledAt", "firedAt", status, manual,
      "executionId", reason, "missedCount")
    VALUES (gen_random_uuid()::text, ${row.id}, ${row.workflowId}, ${row.key}, ${timestamp(firing.scheduledAt)},
      ${timestamp(firing.firedAt)}, ${firing.status}, ${firing.manual}, ${firing.executionId}, ${firing.reason},
      ${missedCount ?? null}::int)
    ON CONFLICT ("workflowId", "scheduleKey", "scheduledAt") DO NOTHING`);
  if (inserted > 0) result.firings.push(firing);
  return inserted > 0;
}

/** The schedule's payload with `$schedule`: its id, this instant, the previous one and the next three. */
function payloadFor(row: ScheduleRow, instant: Date, manual: boolean, now: Date): Record<string, unknown> {
  const after = manual ? now : instant;
  const upcoming = row.kind === "cron" && row.cron ? nextCronInstants(row.cron, row.timezone, after, 3) : [];
  const $schedule = {
    id: row.key,
    scheduledAt: instant.toISOString(),
    previousAt: row.lastScheduledAt?.toISOString() ?? null,
    upcoming: upcoming.map((d) => d.toISOString()),
    timezone: row.timezone,
    ...(manual ? { manual: true } : {}),
  };
  return { ...row.payload, $schedule };
}
