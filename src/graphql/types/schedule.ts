/**
 * Schedules in GraphQL: a workflow's cron schedules and one-off runAt entries with their state
 * (Workflow.schedules, Workflow.runAt), their firings, the next runs (upcomingRuns), and pause,
 * resume and trigger. They are saved with the workflow (WorkflowInput.schedules, .runAt).
 */
import { localTime } from "../../engine/index.js";
import {
  firingsOf,
  MAX_UPCOMING,
  pauseSchedule,
  resumeSchedule,
  triggerSchedule,
  upcomingRuns,
} from "../../services/schedules.js";
import { builder } from "../builder.js";
import { LIST_PAGE } from "../pages.js";

const FiringStatusEnum = builder.enumType("ScheduleFiringStatus", {
  values: {
    STARTED: { description: "An execution started for the instant" },
    SKIPPED: { description: "Not started: the previous execution was still running (overlap skip or buffer_one)" },
    BUFFERED: { description: "Starts when the running execution ends (overlap buffer_one)" },
    MISSED: { description: "Older than the catch-up window when the engine got to it (missedCount instants)" },
  },
});

const FiringRef = builder.prismaObject("ScheduleFiring", {
  description: "One instant of a schedule, handled: unique per (workflow, schedule id, instant).",
  fields: (t) => ({
    scheduleId: t.exposeID("scheduleKey", { description: "The schedule's id in the workflow" }),
    scheduledAt: t.expose("scheduledAt", {
      type: "DateTime",
      description: "The instant it stands for (for triggerSchedule, when it was asked)",
    }),
    firedAt: t.expose("firedAt", { type: "DateTime", description: "When the engine handled it" }),
    status: t.field({ type: FiringStatusEnum, resolve: (f) => f.status as "STARTED" }),
    manual: t.exposeBoolean("manual", { description: "Fired by triggerSchedule" }),
    executionId: t.exposeID("executionId", { nullable: true }),
    execution: t.prismaField({
      type: "Execution",
      nullable: true,
      resolve: (query, f, _args, ctx) =>
        f.executionId ? ctx.db.execution.findUnique({ ...query, where: { id: f.executionId } }) : null,
    }),
    reason: t.exposeString("reason", { nullable: true, description: "Why it did not start (SKIPPED, MISSED)" }),
    missedCount: t.exposeInt("missedCount", {
      nullable: true,
      description: "MISSED: how many instants from scheduledAt on (counted up to 1,000)",
    }),
  }),
});

/** Fields both kinds of entry share: their state and history. */
const stateFields = {
  nextFireAt: "The next instant it fires (UTC); null while paused, its workflow inactive, or once a one-off fired",
  lastFireAt: "The instant of its last execution (null before the first)",
};

builder.prismaObject("Schedule", {
  description: "A cron schedule: starts one execution per instant, in its time zone.",
  fields: (t) => ({
    id: t.exposeID("key", { description: "Its id in the workflow (given, or schedule-<n>)" }),
    cron: t.string({ resolve: (s) => s.cron ?? "" }),
    timezone: t.exposeString("timezone", { description: "IANA name, e.g. Europe/Berlin" }),
    payload: t.expose("payload", { type: "JSON", description: "Each execution's payload, with $schedule added" }),
    overlap: t.exposeString("overlap", { description: "allow, skip, buffer_one or cancel_previous" }),
    catchupWindowMs: t.exposeInt("catchupWindowMs"),
    paused: t.exposeBoolean("paused"),
    nextFireAt: t.expose("nextFireAt", { type: "DateTime", nullable: true, description: stateFields.nextFireAt }),
    lastFireAt: t.expose("lastScheduledAt", { type: "DateTime", nullable: true, description: stateFields.lastFireAt }),
    lastExecutionId: t.exposeID("lastExecutionId", { nullable: true }),
    firings: t.field({
      type: [FiringRef],
      description: `Its handled instants, newest first (at most ${LIST_PAGE.max})`,
      args: { first: t.arg.int({ defaultValue: 20 }) },
      resolve: (s, args, ctx) =>
        firingsOf(ctx.services, s.workflowId, s.key, Math.min(Math.max(args.first ?? 20, 0), LIST_PAGE.max)),
    }),
  }),
});

const RunAtRef = builder.prismaObject("Schedule", {
  variant: "RunAt",
  description: "A one-off start at a given instant; fired at once when saved with a past one, never twice.",
  fields: (t) => ({
    id: t.exposeID("key", { description: "Its id in the workflow (given, or run-at-<n>)" }),
    at: t.field({ type: "DateTime", resolve: (s) => s.runAt ?? s.createdAt }),
    payload: t.expose("payload", { type: "JSON" }),
    nextFireAt: t.expose("nextFireAt", { type: "DateTime", nullable: true, description: stateFields.nextFireAt }),
    firedAt: t.expose("lastFiredAt", { type: "DateTime", nullable: true, description: "When it fired" }),
    executionId: t.exposeID("lastExecutionId", { nullable: true }),
  }),
});

builder.prismaObjectFields("Workflow", (t) => ({
  schedules: t.relation("schedules", {
    description: "Cron schedules, in saved order",
    query: { where: { kind: "cron" }, orderBy: { position: "asc" } },
  }),
  runAt: t.relation("schedules", {
    type: RunAtRef,
    description: "One-off timed starts, in saved order",
    query: { where: { kind: "run_at" }, orderBy: { position: "asc" } },
  }),
}));

const UpcomingRunRef = builder.objectRef<{ scheduleId: string; at: Date; timezone: string }>("UpcomingRun").implement({
  fields: (t) => ({
    scheduleId: t.exposeID("scheduleId"),
    at: t.expose("at", { type: "DateTime" }),
    timezone: t.exposeString("timezone"),
    localTime: t.string({
      description: "The instant on its schedule's wall clock, with the offset, e.g. 2026-03-29T03:00:00+02:00",
      resolve: (r) => localTime(r.at, r.timezone),
    }),
  }),
});

export const ScheduleInput = builder.inputType("ScheduleInput", {
  description: "A cron schedule; an id keeps its state (last fire, pause) across saves",
  fields: (t) => ({
    id: t.id({ description: "Unique in the workflow; default schedule-<n> by position" }),
    cron: t.string({ required: true, description: '5 fields, or 6 with seconds first: "0 9 * * MON"' }),
    timezone: t.string({ description: "IANA time zone (default UTC)" }),
    payload: t.field({ type: "JSON", description: "An object: each execution's payload, with $schedule added" }),
    overlap: t.string({ description: "allow (default), skip, buffer_one or cancel_previous" }),
    catchupWindowMs: t.int({ description: "After downtime, instants missed within this window still fire" }),
    paused: t.boolean({ description: "Left out: a new schedule runs, an existing one stays as it is" }),
  }),
});

export const RunAtInput = builder.inputType("RunAtInput", {
  description: "A one-off start at an instant",
  fields: (t) => ({
    id: t.id({ description: "Unique in the workflow; default run-at-<n> by position" }),
    at: t.field({ type: "DateTime", required: true }),
    payload: t.field({ type: "JSON" }),
  }),
});

builder.queryFields((t) => ({
  upcomingRuns: t.field({
    type: [UpcomingRunRef],
    description: `The workflow's next runs across its schedules and runAt entries, soonest first (at most ${MAX_UPCOMING})`,
    args: { workflowId: t.arg.id({ required: true }), count: t.arg.int({ defaultValue: 10 }) },
    resolve: (_root, args, ctx) => upcomingRuns(ctx.services, String(args.workflowId), args.count ?? 10),
  }),
}));

builder.mutationFields((t) => ({
  pauseSchedule: t.prismaField({
    type: "Schedule",
    description: "Stops an entry firing until resumeSchedule; a save leaving `paused` out keeps it paused",
    args: { workflowId: t.arg.id({ required: true }), scheduleId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const row = await pauseSchedule(ctx.services, String(args.workflowId), String(args.scheduleId));
      return ctx.db.schedule.findUniqueOrThrow({ ...query, where: { id: row.id } });
    },
  }),
  resumeSchedule: t.prismaField({
    type: "Schedule",
    description: "Fires again from the next instant after now (instants while paused are not caught up)",
    args: { workflowId: t.arg.id({ required: true }), scheduleId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const row = await resumeSchedule(ctx.services, String(args.workflowId), String(args.scheduleId));
      return ctx.db.schedule.findUniqueOrThrow({ ...query, where: { id: row.id } });
    },
  }),
  triggerSchedule: t.prismaField({
    type: "ScheduleFiring",
    description: "Fires an entry once, now (its overlap policy applies; paused or not)",
    args: { workflowId: t.arg.id({ required: true }), scheduleId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const workflowId = String(args.workflowId);
      const firing = await triggerSchedule(ctx.services, workflowId, String(args.scheduleId));
      return ctx.db.scheduleFiring.findFirstOrThrow({
        ...query,
        where: { workflowId, scheduleKey: String(args.scheduleId), scheduledAt: firing.scheduledAt },
      });
    },
  }),
}));
