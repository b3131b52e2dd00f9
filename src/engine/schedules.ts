/**
 * Schedules, the engine's clock triggers (what users see is in docs/workflows.md, "Schedules"):
 * cron schedules and one-off runAt entries of a workflow. Each one's next instant lives in its
 * Schedule row (store/schedules.ts); a job per instant (generation "schedule@<ms>") fires it
 * (store/fire-schedule.ts), the worker that fired an instant also sets a timer of its own for the
 * next one when it is soon (as for delays), and the reconciler re-enqueues overdue timers (every
 * timer, when Redis lost its jobs). Firing is keyed by (workflow, schedule id, instant), so two
 * servers, two workers, a restart or a replayed job never start an instant twice.
 */
import { ConflictError, NotFoundError } from "../errors.js";
import { checkCancelOn, currentStarter, type ExecutionDeps } from "./executions.js";
import { type JobResult, SCHEDULE_GENERATION_PREFIX, type StepJob, scheduleJob } from "./ports.js";
import { afterCommit } from "./runner/after-commit.js";
import { nextCronInstants } from "./schedule-times.js";
import { type Firing, fireSchedule } from "./store/fire-schedule.js";
import { readTimer, type ScheduleRow, type ScheduleTimer, scheduleIdOf, setPaused } from "./store/schedules.js";

export type { Firing, FiringStatus } from "./store/fire-schedule.js";
export type { ScheduleRow, ScheduleTimer } from "./store/schedules.js";

/** What a fired job asks of the runner: run again at a time, and a local timer for the next instant. */
export interface ScheduleJobResult {
  result: JobResult | undefined;
  timer: ScheduleTimer | undefined;
  /** The instants it handled. */
  firings: Firing[];
}

export function isScheduleJob(job: StepJob): boolean {
  return job.generation.startsWith(SCHEDULE_GENERATION_PREFIX);
}

/**
 * A schedule's job: fires what is due (or its buffered firing). A timer job that came early runs
 * again on time; one whose instant was fired already (by a local timer, another worker) does
 * nothing, without a lock.
 */
export async function runScheduleJob(deps: ExecutionDeps, job: StepJob): Promise<ScheduleJobResult> {
  const scheduleId = job.executionId;
  const row = await readTimer(deps.sql, scheduleId);
  if (!row) return { result: undefined, timer: undefined, firings: [] };
  const dueMs = Number(job.generation.slice(SCHEDULE_GENERATION_PREFIX.length));
  const now = deps.clock.now();
  const due = row.nextFireAt !== null && row.nextFireAt <= now;
  if (!due && !row.buffered) {
    const early = row.nextFireAt?.getTime() === dueMs ? { rescheduleAt: row.nextFireAt as Date } : undefined;
    return { result: early, timer: undefined, firings: [] };
  }
  const fired = await fire(deps, scheduleId, row.workflowId, {});
  return { result: undefined, timer: fired?.timer, firings: fired?.firings ?? [] };
}

/** Fires one instant of the schedule now (its overlap policy applies); the firing, or undefined if none was written. */
export async function triggerSchedule(
  deps: ExecutionDeps,
  workflowId: string,
  key: string,
): Promise<Firing | undefined> {
  const id = await scheduleIdOf(deps.sql, workflowId, key);
  if (!id) throw new NotFoundError("Schedule", `${workflowId}/${key}`);
  const fired = await fire(deps, id, workflowId, { manual: true });
  return fired?.firings.find((f) => f.manual);
}

/** Pauses (or resumes) one entry; NotFoundError when the workflow has no entry with that id. */
export async function pauseSchedule(
  deps: ExecutionDeps,
  workflowId: string,
  key: string,
  paused: boolean,
): Promise<ScheduleRow> {
  const changed = await deps.sql.transaction((tx) => setPaused(tx, workflowId, key, paused, deps.clock.now()));
  if (!changed) throw new NotFoundError("Schedule", `${workflowId}/${key}`);
  await enqueueTimers(deps, changed.timer ? [changed.timer] : []);
  return changed.row;
}

/** Hands timers to the queue (after the commit that set them); a failure is the reconciler's to redo. */
export async function enqueueTimers(
  deps: Pick<ExecutionDeps, "queue" | "logger">,
  timers: readonly ScheduleTimer[],
): Promise<void> {
  if (timers.length === 0) return;
  await deps.queue.enqueue(timers.map((t) => scheduleJob(t.id, t.nextFireAt))).catch((error: unknown) => {
    deps.logger.error({ err: error }, "enqueueing schedule timers failed; the reconciler will");
  });
}

/** A schedule's next `count` instants across every entry that can fire, soonest first. */
export function upcomingRuns(
  rows: readonly ScheduleRow[],
  now: Date,
  count: number,
): { scheduleId: string; at: Date; timezone: string }[] {
  const runs = rows.flatMap((row) => {
    if (!row.nextFireAt) return [];
    const first = row.nextFireAt < now ? [row.nextFireAt] : [];
    const instants =
      row.kind === "cron" && row.cron
        ? [...first, ...nextCronInstants(row.cron, row.timezone, first[0] ?? new Date(now.getTime() - 1), count)]
        : [row.nextFireAt];
    return instants.slice(0, count).map((at) => ({ scheduleId: row.key, at, timezone: row.timezone }));
  });
  return runs
    .sort((a, b) => a.at.getTime() - b.at.getTime() || a.scheduleId.localeCompare(b.scheduleId))
    .slice(0, count);
}

async function fire(deps: ExecutionDeps, scheduleId: string, workflowId: string, options: { manual?: boolean }) {
  const starter = await currentStarter(deps, workflowId);
  if (options.manual && !starter) throw new ConflictError("the workflow was deleted");
  const fired = await deps.sql.transaction((tx) => fireSchedule(tx, scheduleId, deps.clock.now(), starter, options));
  if (!fired) return undefined;
  await afterCommit(deps, fired.changes);
  await enqueueTimers(deps, fired.timer ? [fired.timer] : []);
  await checkCancelOn(deps, fired.started);
  return fired;
}
