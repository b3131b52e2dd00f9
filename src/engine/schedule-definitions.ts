/**
 * A workflow's clock triggers, as saved: cron `schedules` and one-off `runAt` entries. Checked in
 * full at save (every problem named by its path, e.g. `schedules[1].timezone`) and normalized:
 * defaults filled in, ids given to entries without one (by position: `schedule-1`, `run-at-1`).
 * Their state (next and last fire time, paused) lives in the Schedule rows (store/schedules.ts).
 */
import type { Problem } from "../errors.js";
import { objectWith, oneOf, wholeNumber } from "./field-checks.js";
import { isPlainObject } from "./json-logic.js";
import { checkCron, nextCronInstant } from "./schedule-times.js";

export const SCHEDULE_OVERLAPS = ["allow", "skip", "buffer_one", "cancel_previous"] as const;
export type ScheduleOverlap = (typeof SCHEDULE_OVERLAPS)[number];

/** Entries (cron and one-off together) one workflow may have. */
export const MAX_SCHEDULES = 100;
/** The longest catch-up window: a year. */
export const MAX_CATCHUP_WINDOW_MS = 365 * 24 * 60 * 60 * 1000;
/** A schedule's payload, as JSON, at most this long (it is copied into every execution). */
export const MAX_SCHEDULE_PAYLOAD_BYTES = 64 * 1024;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export interface CronSchedule {
  id: string;
  cron: string;
  timezone: string;
  payload: Record<string, unknown>;
  overlap: ScheduleOverlap;
  catchupWindowMs: number;
  /** Absent: a new schedule runs, an existing one keeps its state (pauseSchedule survives a save). */
  paused?: boolean;
}

export interface RunAtEntry {
  id: string;
  at: Date;
  payload: Record<string, unknown>;
}

/** What a save sets; a list left out (undefined) keeps the stored one. */
export interface ScheduleDefinitions {
  schedules?: CronSchedule[];
  runAt?: RunAtEntry[];
}

export interface ScheduleInput {
  schedules?: unknown;
  runAt?: unknown;
}

const SCHEDULE_FIELDS = ["id", "cron", "timezone", "payload", "overlap", "catchupWindowMs", "paused"] as const;
const RUN_AT_FIELDS = ["id", "at", "payload"] as const;

/** Checks and normalizes `schedules` and `runAt`; null or [] clears a list, undefined keeps it. */
export function checkSchedules(input: ScheduleInput): { problems: Problem[]; definitions: ScheduleDefinitions } {
  const problems: Problem[] = [];
  const definitions: ScheduleDefinitions = {};
  // Every entry's id with its path, valid or not, so a duplicate is named even beside other problems.
  const ids: { id: string; path: string }[] = [];
  if (input.schedules !== undefined) {
    definitions.schedules = listOf(input.schedules, "schedules", problems).flatMap((entry, index) => {
      const checked = checkCronEntry(entry, `schedules[${index}]`, index, problems, ids);
      return checked ? [checked] : [];
    });
  }
  if (input.runAt !== undefined) {
    definitions.runAt = listOf(input.runAt, "runAt", problems).flatMap((entry, index) => {
      const checked = checkRunAt(entry, `runAt[${index}]`, index, problems, ids);
      return checked ? [checked] : [];
    });
  }
  if (ids.length > MAX_SCHEDULES) problems.push({ path: "schedules", message: `at most ${MAX_SCHEDULES} entries` });
  const seen = new Set<string>();
  for (const { id, path } of ids) {
    if (seen.has(id))
      problems.push({ path, message: `"${id}" is used by another schedule or runAt entry of this workflow` });
    seen.add(id);
  }
  return { problems, definitions };
}

function listOf(value: unknown, path: string, problems: Problem[]): unknown[] {
  if (value === null) return [];
  if (Array.isArray(value)) return value;
  problems.push({ path, message: "must be a list" });
  return [];
}

type Ids = { id: string; path: string }[];

function checkCronEntry(
  entry: unknown,
  path: string,
  index: number,
  problems: Problem[],
  ids: Ids,
): CronSchedule | undefined {
  const fields = objectWith(entry, path, SCHEDULE_FIELDS, problems);
  if (!fields) return undefined;
  const before = problems.length;
  const id = checkId(fields.id, `${path}.id`, `schedule-${index + 1}`, problems, ids);
  const timezone = fields.timezone ?? "UTC";
  if (typeof timezone !== "string" || timezone === "") {
    problems.push({ path: `${path}.timezone`, message: 'must be an IANA time zone name such as "Europe/Berlin"' });
  }
  if (typeof fields.cron !== "string" || fields.cron.trim() === "") {
    problems.push({ path: `${path}.cron`, message: 'required: a cron expression such as "0 9 * * MON"' });
  } else if (typeof timezone === "string" && timezone !== "") {
    const check = checkCron(fields.cron, timezone);
    if (!check.ok) {
      const onZone = check.problem?.startsWith("unknown time zone");
      problems.push({ path: `${path}.${onZone ? "timezone" : "cron"}`, message: check.problem ?? "invalid" });
    } else if (!nextCronInstant(fields.cron, timezone, new Date())) {
      problems.push({ path: `${path}.cron`, message: "never fires (no such date from now on)" });
    }
  }
  const payload = checkPayload(fields.payload, `${path}.payload`, problems);
  const overlap = oneOf(fields.overlap, `${path}.overlap`, SCHEDULE_OVERLAPS, "allow", problems);
  const catchupWindowMs =
    fields.catchupWindowMs === undefined || fields.catchupWindowMs === null
      ? 0
      : wholeNumber(fields.catchupWindowMs, `${path}.catchupWindowMs`, 0, MAX_CATCHUP_WINDOW_MS, problems);
  if (fields.paused !== undefined && fields.paused !== null && typeof fields.paused !== "boolean") {
    problems.push({ path: `${path}.paused`, message: "must be true or false" });
  }
  if (problems.length > before) return undefined;
  return {
    id: id as string,
    cron: (fields.cron as string).trim(),
    timezone: timezone as string,
    payload: payload as Record<string, unknown>,
    overlap: overlap as ScheduleOverlap,
    catchupWindowMs: catchupWindowMs as number,
    ...(typeof fields.paused === "boolean" ? { paused: fields.paused } : {}),
  };
}

function checkRunAt(
  entry: unknown,
  path: string,
  index: number,
  problems: Problem[],
  ids: Ids,
): RunAtEntry | undefined {
  const fields = objectWith(entry, path, RUN_AT_FIELDS, problems);
  if (!fields) return undefined;
  const before = problems.length;
  const id = checkId(fields.id, `${path}.id`, `run-at-${index + 1}`, problems, ids);
  const at = fields.at instanceof Date ? fields.at : typeof fields.at === "string" ? new Date(fields.at) : undefined;
  if (!at || Number.isNaN(at.getTime()) || (typeof fields.at === "string" && !/^\d{4}-\d{2}-\d{2}T/.test(fields.at))) {
    problems.push({ path: `${path}.at`, message: 'required: an ISO 8601 time such as "2026-12-24T18:00:00Z"' });
  }
  const payload = checkPayload(fields.payload, `${path}.payload`, problems);
  if (problems.length > before) return undefined;
  return { id: id as string, at: at as Date, payload: payload as Record<string, unknown> };
}

function checkId(value: unknown, path: string, fallback: string, problems: Problem[], ids: Ids): string | undefined {
  const id = value === undefined || value === null ? fallback : value;
  if (typeof id === "string" && ID_PATTERN.test(id)) {
    ids.push({ id, path });
    return id;
  }
  problems.push({
    path,
    message: "must be 1 to 100 letters, digits, '_', '.' or '-', starting with a letter or digit",
  });
  return undefined;
}

function checkPayload(value: unknown, path: string, problems: Problem[]): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) {
    problems.push({ path, message: "must be an object (its fields are the execution's payload)" });
    return undefined;
  }
  if (JSON.stringify(value).length > MAX_SCHEDULE_PAYLOAD_BYTES) {
    problems.push({ path, message: `at most ${MAX_SCHEDULE_PAYLOAD_BYTES} bytes as JSON` });
    return undefined;
  }
  return value as Record<string, unknown>;
}
