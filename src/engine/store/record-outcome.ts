/**
 * The one door through which a step's outcome is written. The runner decides
 * a RecordPlan (what happened, and for a success the fastest way it may be
 * written); recordOutcome writes it with the operation that fits. Every kind
 * of outcome, and every way of writing a success, is named here.
 */
import type { SqlDb } from "../../db/sql.js";
import type { ChildrenRequest } from "../handlers/types.js";
import { type DecidedFollowUp, type FollowUp, planFollowUp } from "../plan-successors.js";
import type { PinnedWorkflow } from "../workflow-cache.js";
import type { AdvanceOptions, ClaimedStep } from "./advance-execution.js";
import { awaitEvent, type EventWaitSpec } from "./await-event.js";
import type { ChangeSet, RanAhead } from "./change-set.js";
import { startChildren } from "./children-wait.js";
import { failStep } from "./fail-step.js";
import { finishInOneStatement } from "./finish-step.js";
import type { Finish, Succeeded } from "./held-step.js";
import { retryStepLater } from "./retry-step.js";
import type { ExecutionStarter } from "./start-executions.js";
import { succeedLocked } from "./succeed-locked.js";
import { waitStep } from "./wait-step.js";

export type RecordPlan =
  | { kind: "succeed"; finish: Succeeded; route: SuccessRoute }
  | { kind: "wait"; finish: Finish; until: Date }
  | { kind: "await-event"; finish: Finish; wait: EventWaitSpec }
  /** Start child executions (and wait for them, unless a call says not to): children-wait.ts. */
  | {
      kind: "start-children";
      finish: Finish;
      request: ChildrenRequest;
      starter: ExecutionStarter;
      maxCallDepth: number;
    }
  | { kind: "retry"; finish: Finish; error: string; retryAt: Date }
  | { kind: "fail"; finish: Finish; error: string };

/**
 * How a success is written, fastest first. A route whose statement cannot
 * decide (a join it did not foresee, a stale snapshot at the end) falls back
 * to the next, except `entry`, which then writes nothing.
 */
export type SuccessRoute =
  /**
   * A new execution's entry step that no one claimed (EntryHint), with the
   * steps run in memory after it: one statement that also takes it and the
   * execution from PENDING. If they were touched meanwhile, nothing is
   * written and the caller claims the step as usual.
   */
  | { kind: "entry"; startedAt: Date; ahead: readonly RanAhead[]; followUp: DecidedFollowUp }
  /** With the steps run in memory after it: one statement; else recorded alone (and they run again). */
  | { kind: "with-ahead"; ahead: readonly RanAhead[]; followUp: DecidedFollowUp }
  /** On its own: one statement when its completion decides what follows, else the locked transaction. */
  | { kind: "alone"; followUp: FollowUp };

/**
 * `recorded`, with the successor claimed for the caller if any; `lost` when
 * the caller no longer held the step (it finished elsewhere, or was taken
 * over); `not-taken` when an entry step's statement found it touched
 * (nothing written).
 */
export type Recorded = { kind: "recorded"; next?: ClaimedStep } | { kind: "lost" } | { kind: "not-taken" };

/** Writes `plan`; `changes` are what to enqueue and publish once it committed (afterCommit). */
export async function recordOutcome(
  db: SqlDb,
  workflow: PinnedWorkflow,
  plan: RecordPlan,
  options: AdvanceOptions,
): Promise<{ result: Recorded; changes: ChangeSet[] }> {
  switch (plan.kind) {
    case "succeed":
      return recordSuccess(db, workflow, plan.finish, plan.route, options);
    case "wait":
      return held(await waitStep(db, { ...plan.finish, until: plan.until }));
    case "await-event": {
      const { result, changes } = await awaitEvent(db, workflow, plan.finish, plan.wait, options);
      if (!result.held) return { result: { kind: "lost" }, changes: [changes] };
      return { result: { kind: "recorded", ...(result.next ? { next: result.next } : {}) }, changes: [changes] };
    }
    case "start-children": {
      const { finish, request, starter, maxCallDepth } = plan;
      const { result, changes } = await startChildren(db, workflow, finish, request, starter, {
        ...options,
        maxCallDepth,
      });
      if (!result.held) return { result: { kind: "lost" }, changes: [changes] };
      return { result: { kind: "recorded", ...(result.next ? { next: result.next } : {}) }, changes: [changes] };
    }
    case "retry":
      return held(await retryStepLater(db, { ...plan.finish, error: plan.error, retryAt: plan.retryAt }));
    case "fail":
      return held(await failStep(db, { ...plan.finish, error: plan.error }, options.now));
  }
}

async function recordSuccess(
  db: SqlDb,
  workflow: PinnedWorkflow,
  finish: Succeeded,
  route: SuccessRoute,
  options: AdvanceOptions,
): Promise<{ result: Recorded; changes: ChangeSet[] }> {
  if (route.kind === "entry") {
    const taken = { by: "entry", startedAt: route.startedAt } as const;
    const done = await finishInOneStatement(db, workflow, finish, route.ahead, route.followUp, options, taken);
    return done ? succeeded(done) : { result: { kind: "not-taken" }, changes: [] };
  }
  if (route.kind === "with-ahead") {
    const done = await finishInOneStatement(db, workflow, finish, route.ahead, route.followUp, options);
    if (done) return succeeded(done);
  }
  // On its own: what follows it was planned by the caller unless steps ran ahead of it.
  const followUp =
    route.kind === "alone"
      ? route.followUp
      : planFollowUp(workflow.index, finish.step.nodeId, finish.next, options.maxStepsPerExecution);
  if (followUp.kind !== "undecided") {
    const done = await finishInOneStatement(db, workflow, finish, [], followUp, options);
    if (done) return succeeded(done);
  }
  return succeeded(await succeedLocked(db, workflow, finish, options));
}

function succeeded(done: { result: ClaimedStep | undefined; changes: ChangeSet }) {
  const { result: next, changes } = done;
  // A step no longer held announces nothing: its statement changed no row.
  const result: Recorded =
    changes.changes.length === 0 ? { kind: "lost" } : { kind: "recorded", ...(next ? { next } : {}) };
  return { result, changes: [changes] };
}

function held(done: { result: boolean; changes: ChangeSet }) {
  return {
    result: done.result ? ({ kind: "recorded" } as const) : ({ kind: "lost" } as const),
    changes: [done.changes],
  };
}
