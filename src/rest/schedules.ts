/**
 * Schedules in REST (not in the original engine): a workflow's `schedules` and `run_at` entries in
 * snake_case, in and out of its body, and the routes that pause, resume and trigger one, list its
 * firings and the workflow's upcoming runs.
 */
import { z } from "@hono/zod-openapi";
import type { Problem } from "../errors.js";
import type { ScheduleFiring } from "../generated/prisma/client.js";
import type { ServiceDeps } from "../services/deps.js";
import {
  firingsOf,
  MAX_UPCOMING,
  pauseSchedule,
  resumeSchedule,
  type ScheduleRow,
  schedulesOf,
  triggerSchedule,
  upcomingRuns,
} from "../services/schedules.js";
import { getWorkflow } from "../services/workflows.js";
import { parseWith } from "./request.js";
import { notFound, ok } from "./route-docs.js";
import type { RestRouter } from "./router.js";
import { ScheduleOut } from "./schemas.js";

const iso = (date: Date | null) => date?.toISOString() ?? null;

const FiringOut = z
  .object({
    schedule_id: z.string(),
    scheduled_at: z.string(),
    fired_at: z.string(),
    status: z.enum(["STARTED", "SKIPPED", "BUFFERED", "MISSED"]),
    manual: z.boolean(),
    execution_id: z.string().nullable(),
    reason: z.string().nullable(),
    missed_count: z.number().int().nullable(),
  })
  .openapi("ScheduleFiringOut");

const UpcomingOut = z
  .object({ schedule_id: z.string(), at: z.string(), timezone: z.string() })
  .openapi("UpcomingRunOut");

/** The entries of a body (POST, PUT: a list left out is none, as every other field). */
export function schedulesIn(body: { schedules?: unknown; run_at?: unknown }): { schedules: unknown; runAt: unknown } {
  const camel = (entry: unknown) => {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) return entry;
    const { catchup_window_ms, ...rest } = entry as Record<string, unknown>;
    return catchup_window_ms === undefined ? rest : { ...rest, catchupWindowMs: catchup_window_ms };
  };
  const schedules = Array.isArray(body.schedules) ? body.schedules.map(camel) : (body.schedules ?? null);
  return { schedules, runAt: body.run_at ?? null };
}

/** A problem's path in REST's names: runAt[0].at → run_at[0].at, schedules[1].catchupWindowMs → …catchup_window_ms. */
export function scheduleRestPath(problem: Problem): Problem {
  const path = problem.path.replace(/^runAt\b/, "run_at").replace(/\.catchupWindowMs$/, ".catchup_window_ms");
  return path === problem.path ? problem : { ...problem, path };
}

/** A workflow's entries as its body shows them. */
export function schedulesOut(rows: readonly ScheduleRow[]) {
  return {
    schedules: rows
      .filter((r) => r.kind === "cron")
      .map((r) => ({
        id: r.key,
        cron: r.cron ?? "",
        timezone: r.timezone,
        payload: r.payload,
        overlap: r.overlap,
        catchup_window_ms: r.catchupWindowMs,
        paused: r.paused,
        next_fire_at: iso(r.nextFireAt),
        last_fire_at: iso(r.lastScheduledAt),
        last_execution_id: r.lastExecutionId,
      })),
    run_at: rows
      .filter((r) => r.kind === "run_at")
      .map((r) => ({
        id: r.key,
        at: iso(r.runAt) ?? "",
        payload: r.payload,
        next_fire_at: iso(r.nextFireAt),
        fired_at: iso(r.lastFiredAt),
        execution_id: r.lastExecutionId,
      })),
  };
}

function firingOut(f: ScheduleFiring | (Omit<ScheduleFiring, "id" | "scheduleId" | "workflowId"> & object)) {
  return {
    schedule_id: f.scheduleKey,
    scheduled_at: f.scheduledAt.toISOString(),
    fired_at: f.firedAt.toISOString(),
    status: f.status as "STARTED",
    manual: f.manual,
    execution_id: f.executionId,
    reason: f.reason,
    missed_count: f.missedCount,
  };
}

const FiringsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).optional().openapi({ description: "Default 20, at most 100" }),
});
const UpcomingQuery = z.object({
  count: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_UPCOMING)
    .optional()
    .openapi({ description: `Default 10, at most ${MAX_UPCOMING}` }),
});

const ScheduleParams = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" }, description: "The workflow's id" }),
  scheduleId: z
    .string()
    .openapi({ param: { name: "scheduleId", in: "path" }, description: "The schedule's id in the workflow" }),
});

export function mountScheduleRoutes(router: RestRouter, services: ServiceDeps): void {
  const params = (c: { req: { param(name: string): string | undefined } }) =>
    [c.req.param("id") ?? "", c.req.param("scheduleId") ?? ""] as const;
  const withRows = async (workflowId: string) => schedulesOut(await schedulesOf(services, [workflowId]));
  for (const [action, summary, run] of [
    ["pause", "Pause a schedule (a save leaving `paused` out keeps it paused)", pauseSchedule],
    ["resume", "Resume a schedule from its next instant after now (no catch-up of the paused time)", resumeSchedule],
  ] as const) {
    router.route(
      {
        method: "post",
        path: `/workflows/{id}/schedules/{scheduleId}/${action}`,
        tags: ["schedules"],
        summary,
        request: { params: ScheduleParams },
        responses: { ...ok(ScheduleOut, "The schedule"), ...notFound("Workflow or schedule") },
      },
      async (c) => {
        const [workflowId, scheduleId] = params(c);
        await getWorkflow(services, workflowId);
        await run(services, workflowId, scheduleId);
        const { schedules, run_at } = await withRows(workflowId);
        return c.json([...schedules, ...run_at].find((s) => s.id === scheduleId));
      },
    );
  }
  router.route(
    {
      method: "post",
      path: "/workflows/{id}/schedules/{scheduleId}/trigger",
      tags: ["schedules"],
      summary: "Fire a schedule once, now (its overlap policy applies; paused or not)",
      request: { params: ScheduleParams },
      responses: { ...ok(FiringOut, "The firing"), ...notFound("Workflow or schedule") },
    },
    async (c) => {
      const [workflowId, scheduleId] = params(c);
      const firing = await triggerSchedule(services, workflowId, scheduleId);
      return c.json(firingOut({ ...firing, scheduleKey: scheduleId, firedAt: firing.scheduledAt, missedCount: null }));
    },
  );
  router.route(
    {
      method: "get",
      path: "/workflows/{id}/schedules/{scheduleId}/firings",
      tags: ["schedules"],
      summary: "A schedule's handled instants, newest first",
      request: { params: ScheduleParams, query: FiringsQuery },
      responses: { ...ok(FiringOut.array(), "Its firings"), ...notFound("Workflow") },
    },
    async (c) => {
      const [workflowId, scheduleId] = params(c);
      await getWorkflow(services, workflowId);
      const { limit = 20 } = parseWith(FiringsQuery, c.req.query(), "query");
      return c.json((await firingsOf(services, workflowId, scheduleId, limit)).map(firingOut));
    },
  );
  router.route(
    {
      method: "get",
      path: "/workflows/{id}/upcoming-runs",
      tags: ["schedules"],
      summary: "The workflow's next runs across its schedules and run_at entries, soonest first",
      request: { params: z.object({ id: ScheduleParams.shape.id }), query: UpcomingQuery },
      responses: { ...ok(UpcomingOut.array(), "The next runs"), ...notFound("Workflow") },
    },
    async (c) => {
      const { count = 10 } = parseWith(UpcomingQuery, c.req.query(), "query");
      const runs = await upcomingRuns(services, c.req.param("id") ?? "", count);
      return c.json(runs.map((r) => ({ schedule_id: r.scheduleId, at: r.at.toISOString(), timezone: r.timezone })));
    },
  );
}
