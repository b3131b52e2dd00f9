/**
 * Ingesting an event: match every active workflow's trigger, then persist the
 * event with one execution per match, all in one statement (the engine's startForEvent)
 * that also checks the triggers matched were current.
 * With an idempotency key, sending the same event again returns the first
 * result and starts nothing.
 */
import { isUniqueViolation } from "../db/errors.js";
import * as engine from "../engine/index.js";
import { ConflictError, ValidationError } from "../errors.js";
import type { Event, Execution } from "../generated/prisma/client.js";
import type { ServiceDeps } from "./deps.js";
import { checkPayload } from "./payload.js";
import type { RevisionMatch } from "./trigger-cache.js";

export interface IngestResult {
  event: Event;
  executions: Execution[];
  /** The wait_for_event steps this event resumed. */
  resumedStepIds: string[];
  /** Debounced workflows whose window the event joined (it starts their execution when the window closes). */
  debounced: string[];
  /** True when the idempotency key had been seen: nothing new was started. */
  duplicate: boolean;
}

export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** Matches tried while the workflows keep changing under an event before it is refused. */
const MAX_MATCH_ATTEMPTS = 10;

/**
 * With traces on, the ingestion runs in its span (`event.ingest`), in the trace of the caller's
 * `traceparent` when it sent one; the executions it starts link to that span.
 */
export function ingestEvent(
  deps: ServiceDeps,
  payload: unknown,
  idempotencyKey?: string | null,
  traceparent?: string,
): Promise<IngestResult> {
  if (!deps.tracing) return ingest(deps, payload, idempotencyKey);
  return deps.tracing.eventIngestion(traceparent, () => ingest(deps, payload, idempotencyKey), ingested(payload));
}

/** What the ingestion span records of the event. */
function ingested(payload: unknown) {
  const fields = typeof payload === "object" && payload !== null ? (payload as Record<string, unknown>) : {};
  const name = [fields.name, fields.type].find((v): v is string => typeof v === "string" && v.length <= 200);
  return (result: IngestResult) => ({
    eventId: result.event.id,
    name,
    executionIds: result.executions.map((e) => e.id),
    resumedSteps: result.resumedStepIds.length,
    duplicate: result.duplicate,
  });
}

async function ingest(deps: ServiceDeps, payload: unknown, idempotencyKey?: string | null): Promise<IngestResult> {
  checkPayload(payload, deps.limits.MAX_EVENT_BYTES, "payload");
  deps.onEventReceived?.();
  const key = idempotencyKey ?? null;
  if (key !== null && (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
    throw new ValidationError([
      { path: "idempotencyKey", message: `must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters` },
    ]);
  }
  if (key !== null) {
    const seen = await findByKey(deps, key);
    if (seen) return seen;
  }

  // Matched against the loaded triggers and written only if the workflows revision is still the one
  // they were loaded at (checked in the same statement); if it moved, matched again, freshly.
  let match = (await deps.triggers.matchLoaded(payload)) ?? (await deps.triggers.match(payload));
  for (let attempt = 1; ; attempt++) {
    const { planned, debounced } = await plannedStarts(deps, match, payload);
    try {
      const event = { payload, idempotencyKey: key };
      const written = await engine.startForEvent(deps, event, planned, match.revision, debounced);
      if (written) return { ...written, duplicate: false };
    } catch (error) {
      // Two requests with one key raced: the other one won; answer as it did.
      if (key !== null && isUniqueViolation(error)) {
        const seen = await findByKey(deps, key);
        if (seen) return seen;
      }
      throw error;
    }
    if (attempt === MAX_MATCH_ATTEMPTS) {
      throw new ConflictError("workflows kept changing while this event was being matched; send it again");
    }
    match = await deps.triggers.match(payload);
  }
}

/**
 * One execution per matched workflow, pinned to the version the match saw; a debounced workflow
 * instead gets the event into its window (one execution per window, when it closes).
 */
async function plannedStarts(deps: ServiceDeps, match: RevisionMatch, payload: unknown) {
  reportTriggerFailures(deps, match);
  const pinned = await Promise.all(
    match.matched.map((workflowId, i) => deps.workflows.get(workflowId, match.versions[i] as number)),
  );
  const planned: engine.NewExecution[] = [];
  const debounced: engine.DebouncedStart[] = [];
  for (const workflow of pinned) {
    const window = engine.planDebounce(workflow, payload);
    if (window) debounced.push(window);
    else planned.push(engine.planExecution(workflow, payload));
  }
  return { planned, debounced };
}

/** A trigger that failed on an event does not match it; the operator hears of it (log and metric). */
function reportTriggerFailures(deps: ServiceDeps, match: RevisionMatch): void {
  for (const { workflowId, message, reason } of match.errors) {
    deps.logger.warn({ workflowId, reason, error: message }, "trigger failed on an event; treated as no match");
    deps.onTriggerFailed?.(reason);
  }
}

async function findByKey(deps: ServiceDeps, key: string): Promise<IngestResult | undefined> {
  const event = await deps.db.event.findUnique({
    where: { idempotencyKey: key },
    include: { executions: { orderBy: { createdAt: "asc" } } },
  });
  if (!event) return undefined;
  const { executions, ...rest } = event;
  const resumedStepIds = await engine.stepsResumedBy(deps.sql, event.id);
  // Windows that have closed since are not known any more: their executions link to the event they took.
  const windows = await deps.db.debounceEvent.findMany({ where: { eventId: event.id }, select: { workflowId: true } });
  return { event: rest, executions, resumedStepIds, debounced: windows.map((w) => w.workflowId), duplicate: true };
}

/** Which active workflows an event would start, without starting anything. */
export async function simulateEvent(deps: ServiceDeps, payload: unknown): Promise<string[]> {
  checkPayload(payload, deps.limits.MAX_EVENT_BYTES, "payload");
  const match = await deps.triggers.match(payload);
  reportTriggerFailures(deps, match);
  return match.matched;
}

/** What an event would start, resume and cancel now, and the limits it would meet, without changing anything. */
export async function explainEvent(deps: ServiceDeps, payload: unknown) {
  checkPayload(payload, deps.limits.MAX_EVENT_BYTES, "payload");
  const match = await deps.triggers.match(payload);
  reportTriggerFailures(deps, match);
  const waits = await engine.explainWaits(deps.sql, payload);
  const pinned = await Promise.all(
    match.matched.map((workflowId, i) => deps.workflows.get(workflowId, match.versions[i] as number)),
  );
  const limits = (await Promise.all(pinned.map((w) => engine.explainLimits(deps.sql, w, payload)))).flat();
  return { workflowIds: match.matched, ...waits, limits };
}
