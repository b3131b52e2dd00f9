/**
 * Schedules' use cases, shared by GraphQL and REST: a workflow's entries with their state, their
 * firings, the next runs, and pause, resume and trigger (the firing itself is the engine's,
 * engine/schedules.ts). Schedules are saved with their workflow (services/workflows.ts).
 */
import * as engine from "../engine/index.js";
import { NotFoundError } from "../errors.js";
import type { ScheduleFiring } from "../generated/prisma/client.js";
import type { ServiceDeps } from "./deps.js";
import { getWorkflow } from "./workflows.js";

export type { ScheduleRow } from "../engine/index.js";

/** Most upcoming runs one query lists. */
export const MAX_UPCOMING = 100;

/** Every entry of these workflows, cron schedules first, in saved order. */
export function schedulesOf(deps: ServiceDeps, workflowIds: readonly string[]): Promise<engine.ScheduleRow[]> {
  return engine.readSchedules(deps.sql, workflowIds);
}

export async function pauseSchedule(deps: ServiceDeps, workflowId: string, scheduleId: string) {
  return engine.pauseSchedule(deps, workflowId, scheduleId, true);
}

/** Resumes from now: instants that passed while it was paused are not caught up. */
export async function resumeSchedule(deps: ServiceDeps, workflowId: string, scheduleId: string) {
  return engine.pauseSchedule(deps, workflowId, scheduleId, false);
}

/** Fires the entry once, now, as its overlap policy allows (paused or not, its workflow active or not). */
export async function triggerSchedule(deps: ServiceDeps, workflowId: string, scheduleId: string) {
  await getWorkflow(deps, workflowId);
  const firing = await engine.triggerSchedule(deps, workflowId, scheduleId);
  if (!firing) throw new NotFoundError("Schedule", `${workflowId}/${scheduleId}`);
  return firing;
}

/** The workflow's next `count` runs across its entries, soonest first (none while it is inactive). */
export async function upcomingRuns(deps: ServiceDeps, workflowId: string, count: number) {
  await getWorkflow(deps, workflowId);
  const rows = await engine.readSchedules(deps.sql, [workflowId]);
  return engine.upcomingRuns(rows, deps.clock.now(), Math.min(Math.max(count, 0), MAX_UPCOMING));
}

/** An entry's firings, newest first. */
export function firingsOf(
  deps: ServiceDeps,
  workflowId: string,
  scheduleId: string,
  take: number,
): Promise<ScheduleFiring[]> {
  return deps.db.scheduleFiring.findMany({
    where: { workflowId, scheduleKey: scheduleId },
    orderBy: [{ scheduledAt: "desc" }, { firedAt: "desc" }],
    take,
  });
}
