/**
 * Waits, as the services and the runner deliver their wakes: deciding an
 * execution's event waits (an event arrived, a crash left one undecided, a
 * timeout came), then enqueueing and publishing what changed.
 */
import type { SqlDb } from "../db/sql.js";
import { eventKeys } from "./event-keys.js";
import type { Clock } from "./ports.js";
import { type AfterCommitDeps, afterCommit } from "./runner/after-commit.js";
import { forgetUnsatisfied, satisfies, stepsResumedBy, waitsFiledUnder } from "./store/event-waits.js";
import { type Resolution, resolveWaits } from "./store/resolve-waits.js";
import type { WaitCandidate } from "./store/start-executions.js";
import { readPinnedVersion } from "./store/workflow-version.js";
import type { WorkflowCache } from "./workflow-cache.js";

export type { Resolution } from "./store/resolve-waits.js";

export interface WaitDeps extends AfterCommitDeps {
  sql: SqlDb;
  workflows: WorkflowCache;
  clock: Clock;
  limits: { MAX_STEPS_PER_EXECUTION: number };
}

/**
 * Decides the execution's event waits against every event received so far
 * (store/resolve-waits.ts); with `dueStepId`, that step's wait times out if
 * its time came and no event resumed it.
 */
export async function decideWaits(deps: WaitDeps, executionId: string, dueStepId?: string): Promise<Resolution> {
  const pinned = await readPinnedVersion(deps.sql, executionId);
  if (!pinned) return { resumedStepIds: [], cancelled: false };
  const done = await resolveWaits(deps.sql, executionId, {
    now: deps.clock.now(),
    maxStepsPerExecution: deps.limits.MAX_STEPS_PER_EXECUTION,
    workflow: await deps.workflows.get(pinned.workflowId, pinned.workflowVersion),
    ...(dueStepId ? { dueStepId } : {}),
  });
  await afterCommit(deps, [done.changes]);
  return done.result;
}

/**
 * After an event committed: decides the waits it satisfies (each execution
 * once, in turn) and forgets the candidates it does not; returns the steps
 * this event resumed. An earlier event may win a wait this one satisfies
 * (the earliest matching event always does), and this event may have won
 * one by another event's decision: the answer is read from EventResume.
 */
export async function deliverEvent(
  deps: WaitDeps,
  event: { id: string; payload: unknown },
  candidates: readonly WaitCandidate[],
): Promise<string[]> {
  if (candidates.length === 0) return [];
  const satisfied = candidates.filter((c) => satisfies(c.match, event.payload));
  const unsatisfied = candidates.filter((c) => !satisfied.includes(c));
  await forgetUnsatisfied(deps.sql, unsatisfied);
  for (const executionId of new Set(satisfied.map((c) => c.executionId))) {
    try {
      await decideWaits(deps, executionId);
    } catch (error) {
      // Its candidate row stays: the reconciler decides it again.
      deps.logger.error({ err: error, executionId, eventId: event.id }, "deciding waits failed; will retry");
    }
  }
  return satisfied.length > 0 ? stepsResumedBy(deps.sql, event.id) : [];
}

/** What an event would do to open waits, without doing it: the steps it would resume, the executions it would cancel. */
export async function explainWaits(
  sql: SqlDb,
  payload: unknown,
): Promise<{ resumedStepIds: string[]; cancelledExecutionIds: string[] }> {
  const waits = (await waitsFiledUnder(sql, eventKeys(payload))).filter((w) => satisfies(w.match, payload));
  const cancelled = new Set(waits.filter((w) => w.stepId === null).map((w) => w.executionId));
  // Within one execution an event resumes only the wait that started first; none in a cancelled one.
  const resumedIn = new Set<string>();
  const resumedStepIds: string[] = [];
  for (const wait of waits) {
    if (wait.stepId === null || cancelled.has(wait.executionId) || resumedIn.has(wait.executionId)) continue;
    resumedIn.add(wait.executionId);
    resumedStepIds.push(wait.stepId);
  }
  return { resumedStepIds, cancelledExecutionIds: [...cancelled] };
}
