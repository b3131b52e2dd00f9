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
import { checkCancelOn, currentStarter, type ExecutionDeps, pinnedStarter } from "./executions.js";
import { type Clock, type JobResult, SCHEDULE_GENERATION_PREFIX, type StepJob, scheduleJob } from "./ports.js";
import { afterCommit } from "./runner/after-commit.js";
import { nextCronInstants } from "./schedule-times.js";
import { type FireResult, type Firing, fireSchedule } from "./store/fire-schedule.js";
import {
  readDue,
  readTimer,
  type ScheduleRow,
  type ScheduleTimer,
  scheduleIdOf,
  setPaused,
} from "./store/schedules.js";
import type { ExecutionStarter } from "./store/start-executions.js";
import { perDatabase, StatementBatcher } from "./store/statement-batcher.js";

export type { Firing, FiringStatus } from "./store/fire-schedule.js";
export type { ScheduleRow, ScheduleTimer } from "./store/schedules.js";

/** What a fired job asks of the runner: run again at a time, and local timers for the next instants. */
export interface ScheduleJobResult {
  result: JobResult | undefined;
  timers: ScheduleTimer[];
  /** The instants it handled. */
  firings: Firing[];
}

/** Other schedules due at the same moment one job fires along with its own. */
const SWEEP_LIMIT = 256;

export function isScheduleJob(job: StepJob): boolean {
  return job.generation.startsWith(SCHEDULE_GENERATION_PREFIX);
}

/**
 * A schedule's job: fires what is due (or its buffered firing). A timer job that came early runs
 * again on time; one whose instant was fired already (by a local timer, another worker) does
 * nothing, without a lock. The first job of an instant also fires every other schedule due by
 * then (many schedules often share an instant: each on its own job would wait for the queue to
 * hand them out one by one); their own jobs then find nothing to do.
 */
export async function runScheduleJob(deps: ExecutionDeps, job: StepJob): Promise<ScheduleJobResult> {
  const scheduleId = job.executionId;
  const row = await readTimer(deps.sql, scheduleId);
  if (!row) return { result: undefined, timers: [], firings: [] };
  const dueMs = Number(job.generation.slice(SCHEDULE_GENERATION_PREFIX.length));
  const now = deps.clock.now();
  const due = row.nextFireAt !== null && row.nextFireAt <= now;
  if (!due && !row.buffered) {
    const early = row.nextFireAt?.getTime() === dueMs ? { rescheduleAt: row.nextFireAt as Date } : undefined;
    return { result: early, timers: [], firings: [] };
  }
  // A schedule this process is firing already (swept along by another job) is left to that job;
  // a buffered firing's wake looks again in a moment (that firing may have read its execution still running).
  const firing = firingNow(deps.sql);
  if (firing.has(scheduleId)) {
    const again = row.buffered ? { rescheduleAt: new Date(now.getTime() + 100) } : undefined;
    return { result: again, timers: [], firings: [] };
  }
  const others = due ? (await readDue(deps.sql, now, SWEEP_LIMIT)).filter((o) => !firing.has(o.id)) : [];
  const targets = [{ ...row, id: scheduleId }, ...others.filter((o) => o.id !== scheduleId)];
  for (const t of targets) firing.add(t.id);
  const [own, ...swept] = await Promise.allSettled(
    targets.map((t) => fireBatched(deps, t).finally(() => firing.delete(t.id))),
  );
  for (const other of swept) {
    // Its own job (or the reconciler) fires it again.
    if (other.status === "rejected")
      deps.logger.error({ err: other.reason }, "firing a schedule due with another failed");
  }
  if (own?.status === "rejected") throw own.reason;
  const fired = [own, ...swept].flatMap((r) => (r?.status === "fulfilled" && r.value ? [r.value] : []));
  return {
    result: undefined,
    timers: fired.flatMap((f) => (f.timer ? [f.timer] : [])),
    firings: fired.flatMap((f) => f.firings),
  };
}

/** The schedules this process is firing right now (per database handle, as the batcher). */
const firingNow = perDatabase(() => new Set<string>());

/** Fires one schedule through this process's batcher, then what follows its commit. */
async function fireBatched(
  deps: ExecutionDeps,
  target: { id: string; workflowId: string; workflowVersion: number | null },
): Promise<FireResult | undefined> {
  const { id, workflowId, workflowVersion } = target;
  const starter = workflowVersion === null ? undefined : await pinnedStarter(deps, workflowId, workflowVersion);
  const fired = await firingBatcher(deps.sql).submit({ scheduleId: id, clock: deps.clock, starter });
  await afterFiring(deps, fired);
  return fired;
}

interface FiringRequest {
  scheduleId: string;
  /** Read when its transaction runs: the instants due then, and the time its rows are stamped with. */
  clock: Clock;
  starter: ExecutionStarter | undefined;
}

/**
 * Timer jobs firing at the same moment in this process share one transaction (most commit
 * together: 200 schedules on one instant are 200 commits otherwise). Rows are locked in id
 * order, here and in every other batch, so two batches cannot deadlock; a batch that fails is
 * retried one schedule at a time, so one schedule's failure stays its own.
 */
const firingBatcher = perDatabase(
  (sql) =>
    new StatementBatcher<FiringRequest, FireResult | undefined>(
      (requests) =>
        sql.transaction(async (tx) => {
          const results = new Map<FiringRequest, FireResult | undefined>();
          for (const r of [...requests].sort((a, b) => (a.scheduleId < b.scheduleId ? -1 : 1))) {
            results.set(r, await fireSchedule(tx, r.scheduleId, r.clock.now(), r.starter));
          }
          return requests.map((r) => results.get(r));
        }),
      { maxInFlight: 6, maxBatch: 16, distinctBy: (r) => r.scheduleId },
    ),
);

/** Fires one instant of the schedule now (its overlap policy applies); the firing, or undefined if none was written. */
export async function triggerSchedule(
  deps: ExecutionDeps,
  workflowId: string,
  key: string,
): Promise<Firing | undefined> {
  const id = await scheduleIdOf(deps.sql, workflowId, key);
  if (!id) throw new NotFoundError("Schedule", `${workflowId}/${key}`);
  const fired = await fireNow(deps, id, workflowId);
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

/** Fires one instant now, by hand (triggerSchedule). */
async function fireNow(deps: ExecutionDeps, scheduleId: string, workflowId: string) {
  const starter = await currentStarter(deps, workflowId);
  if (!starter) throw new ConflictError("the workflow was deleted");
  const now = deps.clock.now();
  const fired = await deps.sql.transaction((tx) => fireSchedule(tx, scheduleId, now, starter, { manual: true }));
  await afterFiring(deps, fired);
  return fired;
}

/** After a firing's commit: its executions' jobs and changes, the next timer's job, their cancelOn. */
async function afterFiring(deps: ExecutionDeps, fired: FireResult | undefined): Promise<void> {
  if (!fired) return;
  await afterCommit(deps, fired.changes);
  await enqueueTimers(deps, fired.timer ? [fired.timer] : []);
  await checkCancelOn(deps, fired.started);
}
