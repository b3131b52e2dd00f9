/**
 * A step that waits for an event (wait_for_event): under the exclusive wait
 * lock, the earliest event already received in its window that satisfies it
 * resumes it at once; otherwise it is parked WAITING with its EventWait row,
 * until a timeout (a delayed job, as for a delay) or forever.
 */
import type { SqlDb } from "../../db/sql.js";
import { waitKey } from "../event-keys.js";
import type { JsonLogicRule } from "../json-logic.js";
import type { PinnedWorkflow } from "../workflow-cache.js";
import { type AdvanceOptions, advanceExecution, type ClaimedStep } from "./advance-execution.js";
import {
  type EventRow,
  firstMatch,
  insertWait,
  lastEventSeq,
  readWindowOrigin,
  recordResume,
  windowFrom,
} from "./event-waits.js";
import { inExecutionTransaction } from "./execution-lock.js";
import { type Finish, releaseHeld, releaseSucceeded } from "./held-step.js";
import { lockWaitsExclusively, shardOf } from "./wait-lock.js";

/** What a wait_for_event step waits for, rendered when the wait starts. */
export interface EventWaitSpec {
  match: JsonLogicRule;
  /** The rule as written: its templated equality is the one the wait is filed under (event-keys.ts). */
  unrendered?: JsonLogicRule;
  /** The timeout; undefined: none. */
  until: Date | undefined;
  lookbackMs: number;
  failOnTimeout: boolean;
}

/** The step's output when an event resumes it. */
export function resumedOutput(event: EventRow) {
  return { event: event.payload, eventId: event.id, receivedAt: event.receivedAt.toISOString(), timedOut: false };
}

/** `held` false when the caller no longer held the step; `next` the successor claimed if resumed at once. */
export function awaitEvent(
  db: SqlDb,
  workflow: PinnedWorkflow,
  finish: Finish,
  spec: EventWaitSpec,
  options: AdvanceOptions,
) {
  const { stepId, executionId, nodeId } = finish.step;
  return inExecutionTransaction(db, executionId, async (tx, changes) => {
    const key = waitKey(spec.match, spec.unrendered);
    await lockWaitsExclusively(tx, [shardOf(key)]);
    const wait = {
      executionId,
      stepId,
      match: spec.match,
      keyPath: key?.path ?? null,
      keyValue: key?.value ?? null,
      ...windowFrom(await readWindowOrigin(tx, executionId), spec.lookbackMs),
      checkedSeq: await lastEventSeq(tx),
      failOnTimeout: spec.failOnTimeout,
    };
    const event = await firstMatch(tx, { ...wait, id: "" }, { fromSeq: "0", throughSeq: wait.checkedSeq });
    if (event) {
      const next = workflow.index.outgoing(nodeId);
      const succeeded = { ...finish, output: resumedOutput(event), next };
      const rows = await releaseSucceeded(tx, changes, succeeded, { error: null, finishedAt: options.now });
      if (!rows) return { held: false };
      await recordResume(tx, { stepId, executionId, eventId: event.id });
      const claimed: ClaimedStep | undefined = await advanceExecution(tx, changes, workflow, [nodeId], rows, options);
      return { held: true, next: claimed };
    }
    if (!(await releaseHeld(tx, changes, finish, "WAITING", { resumeAt: spec.until ?? null }))) return { held: false };
    await insertWait(tx, wait);
    if (spec.until) changes.enqueue({ stepId, executionId, generation: "w", runAt: spec.until });
    return { held: true };
  });
}
