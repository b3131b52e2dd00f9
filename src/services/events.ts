/**
 * Ingesting an event: match every active workflow's trigger, then persist the
 * event with one execution per match, all in one statement (new-executions.ts).
 * With an idempotency key, sending the same event again returns the first
 * result and starts nothing.
 */
import { isUniqueViolation } from "../db/errors.js";
import { afterCommit } from "../engine/runner/after-commit.js";
import { ValidationError } from "../errors.js";
import type { Event, Execution } from "../generated/prisma/client.js";
import type { ServiceDeps } from "./deps.js";
import { newExecution, writeEvent } from "./new-executions.js";
import { checkPayload } from "./payload.js";

export interface IngestResult {
  event: Event;
  executions: Execution[];
  /** True when the idempotency key had been seen: nothing new was started. */
  duplicate: boolean;
}

export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export async function ingestEvent(
  deps: ServiceDeps,
  payload: unknown,
  idempotencyKey?: string | null,
): Promise<IngestResult> {
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

  const match = await deps.triggers.match(payload);
  for (const { workflowId, message } of match.errors) {
    deps.logger.warn({ workflowId, error: message }, "trigger failed on an event; treated as no match");
  }
  // The trigger index is as fresh as the workflows revision it just read, versions included.
  const pinned = await Promise.all(
    match.matched.map((workflowId, i) => deps.workflows.get(workflowId, match.versions[i] as number)),
  );
  const planned = pinned.map(newExecution);
  try {
    const written = await writeEvent(deps.sql, { payload, idempotencyKey: key }, planned, deps.clock.now());
    await afterCommit(
      deps,
      planned.map((p) => p.changes),
    );
    return { ...written, duplicate: false };
  } catch (error) {
    // Two requests with one key raced: the other one won; answer as it did.
    if (key !== null && isUniqueViolation(error)) {
      const seen = await findByKey(deps, key);
      if (seen) return seen;
    }
    throw error;
  }
}

async function findByKey(deps: ServiceDeps, key: string): Promise<IngestResult | undefined> {
  const event = await deps.db.event.findUnique({
    where: { idempotencyKey: key },
    include: { executions: { orderBy: { createdAt: "asc" } } },
  });
  if (!event) return undefined;
  const { executions, ...rest } = event;
  return { event: rest, executions, duplicate: true };
}

/** Which active workflows an event would start, without starting anything. */
export async function simulateEvent(deps: ServiceDeps, payload: unknown): Promise<string[]> {
  checkPayload(payload, deps.limits.MAX_EVENT_BYTES, "payload");
  return (await deps.triggers.match(payload)).matched;
}
