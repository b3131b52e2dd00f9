/**
 * Debounce windows closing: a debounced workflow's events wait in their
 * window (DebounceEvent rows, one window per rendered key) instead of each
 * starting an execution. A window closes `periodMs` after its last event,
 * or `maxDelayMs` after its first; then it starts ONE execution whose
 * payload is its last event's, its first's, or `{events: [...]}` (every
 * payload in receive order), and its rows go, in the same transaction
 * (admission's, which then lets the execution in like any other). An event
 * that arrives after that opens a new window.
 */
import { Prisma } from "../../generated/prisma/client.js";
import type { Debounce } from "../flow-control.js";
import type { ChangeSet } from "./change-set.js";
import type { Tx } from "./execution-lock.js";
import { type ExecutionStarter, writeExecutionsIn } from "./start-executions.js";

interface WindowRow {
  key: string;
  firstAt: Date;
  lastAt: Date;
  throughSeq: string;
}

/** Starts the executions of the windows that closed by `now`; returns their changes and when the next closes. */
export async function fireClosedWindows(
  tx: Tx,
  workflowId: string,
  now: Date,
  starter: ExecutionStarter,
): Promise<{ changes: ChangeSet[]; nextAt: Date | undefined }> {
  const windows = await tx.query<WindowRow>(Prisma.sql`
    SELECT key, min("receivedAt") AS "firstAt", max("receivedAt") AS "lastAt", max("eventSeq")::text AS "throughSeq"
    FROM "DebounceEvent" WHERE "workflowId" = ${workflowId} GROUP BY key`);
  const changes: ChangeSet[] = [];
  let nextAt: Date | undefined;
  for (const window of windows) {
    const closesAt = closingTime(starter.workflow.flow?.debounce ?? null, window, now);
    if (closesAt > now) {
      if (!nextAt || closesAt < nextAt) nextAt = closesAt;
      continue;
    }
    changes.push(await fire(tx, workflowId, window, starter, now));
  }
  return { changes, nextAt };
}

/** Debounce removed since the window opened: it closes at once. */
function closingTime(debounce: Debounce | null, window: WindowRow, now: Date): Date {
  if (!debounce) return now;
  const quiet = window.lastAt.getTime() + debounce.periodMs;
  const latest = debounce.maxDelayMs === null ? quiet : window.firstAt.getTime() + debounce.maxDelayMs;
  return new Date(Math.min(quiet, latest));
}

async function fire(tx: Tx, workflowId: string, window: WindowRow, starter: ExecutionStarter, now: Date) {
  const events = await tx.query<{ eventId: string; eventSeq: string; payload: unknown }>(Prisma.sql`
    DELETE FROM "DebounceEvent" d USING "Event" e
    WHERE d."workflowId" = ${workflowId} AND d.key = ${window.key} AND d."eventSeq" <= ${window.throughSeq}::bigint
      AND e.id = d."eventId"
    RETURNING d."eventId", d."eventSeq"::text AS "eventSeq", e.payload`);
  const ordered = events.sort((a, b) => (BigInt(a.eventSeq) < BigInt(b.eventSeq) ? -1 : 1));
  const use = starter.workflow.flow?.debounce?.use ?? "last";
  const chosen = (use === "first" ? ordered[0] : ordered.at(-1)) as (typeof ordered)[number];
  const payload = use === "all" ? { events: ordered.map((e) => e.payload) } : chosen.payload;
  const planned = starter.plan(payload);
  await writeExecutionsIn(tx, [{ executions: [planned], payload }], now, { sourceEventId: chosen.eventId });
  return planned.changes;
}
