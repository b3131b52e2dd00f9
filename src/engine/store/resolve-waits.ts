/**
 * Deciding an execution's event waits, under its lock and the exclusive wait
 * lock, so every event numbered so far is committed and the decision is
 * final: each wait, the one that started first first, takes the earliest
 * event in its window that satisfies it and that no other wait of the
 * execution took. A cancelOn that is satisfied cancels the execution. Then a
 * wait whose timeout has come (and that no event resumed) times out.
 *
 * Whoever learns that a wait may be satisfied calls it: ingestion after its
 * event committed, the reconciler for what a crash left undecided, the
 * timeout's job. Deciding twice is harmless: the second finds nothing to do.
 */
import type { SqlDb } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";
import type { PinnedWorkflow } from "../workflow-cache.js";
import { type AdvanceOptions, advanceExecution, failExecution, readSteps } from "./advance-execution.js";
import { resumedOutput } from "./await-event.js";
import { cancelLocked } from "./cancel-execution.js";
import { ACTIVE_EXECUTION, type ChangeSet } from "./change-set.js";
import { jsonParam } from "./change-set-sql.js";
import {
  deleteWaits,
  type EventRow,
  type EventWaitRow,
  firstMatch,
  forgetCandidates,
  lastEventSeq,
  markChecked,
  readCandidates,
  readExecutionWaits,
  recordResume,
  satisfies,
} from "./event-waits.js";
import { inExecutionTransaction, type Tx } from "./execution-lock.js";
import { lockWaitsExclusively, shardOf } from "./wait-lock.js";

export interface ResolveOptions extends AdvanceOptions {
  /** The workflow version the execution is pinned to (loaded before: nothing waits on another connection under the locks). */
  workflow: PinnedWorkflow;
  /** A step whose wait may have timed out (its job came): it times out if still waiting and due. */
  dueStepId?: string;
}

/** The steps resumed (their ids) and whether the execution was cancelled by its cancelOn. */
export interface Resolution {
  resumedStepIds: string[];
  cancelled: boolean;
}

export async function resolveWaits(
  db: SqlDb,
  executionId: string,
  options: ResolveOptions,
): Promise<{ result: Resolution; changes: ChangeSet }> {
  return inExecutionTransaction(db, executionId, async (tx, changes) => {
    const resolution: Resolution = { resumedStepIds: [], cancelled: false };
    // The execution's waits change only under its lock, which this holds: read them, then lock their shards.
    const waits = await readExecutionWaits(tx, executionId);
    if (waits.length === 0) return resolution;
    await lockWaitsExclusively(tx, waits.map(shardOfWait));
    const through = await lastEventSeq(tx);
    if (!ACTIVE_EXECUTION.has(changes.execution.status)) {
      // Over: nothing it waited for matters any more. A FAILED one keeps its cancelOn for a retry
      // (its steps register their waits again), without the candidates that came meanwhile.
      const keep = (w: EventWaitRow) => w.stepId === null && changes.execution.status === "FAILED";
      await deleteWaits(
        tx,
        waits.filter((w) => !keep(w)).map((w) => w.id),
      );
      for (const wait of waits.filter(keep)) await forgetCandidates(tx, wait.id, through);
      return resolution;
    }
    const { workflow } = options;
    const finished: string[] = [];
    const ended: string[] = [];
    for (const wait of waits) {
      const event = await earliestEvent(tx, wait, through);
      if (!event) {
        await markChecked(tx, wait.id, through);
        await forgetCandidates(tx, wait.id, through);
        continue;
      }
      if (wait.stepId === null) {
        await cancelLocked(tx, changes, options.now);
        await deleteWaits(tx, [wait.id]);
        resolution.cancelled = true;
        return resolution;
      }
      const nodeId = await endStepWait(tx, changes, workflow, wait, options.now, { output: resumedOutput(event) });
      ended.push(wait.id);
      if (nodeId === undefined) continue;
      // Consumed at once, so a wait that started later cannot take the same event.
      await recordResume(tx, { stepId: wait.stepId, executionId, eventId: event.id });
      finished.push(nodeId);
      resolution.resumedStepIds.push(wait.stepId);
    }
    const due = waits.find((w) => w.stepId === options.dueStepId && !ended.includes(w.id));
    if (due) {
      const nodeId = await endStepWait(tx, changes, workflow, due, options.now, { timedOut: true });
      if (nodeId !== undefined) ended.push(due.id);
      if (nodeId !== undefined && !due.failOnTimeout) finished.push(nodeId);
    }
    await deleteWaits(tx, ended);
    if (finished.length > 0) {
      const rows = await readSteps(tx, executionId);
      await advanceExecution(tx, changes, workflow, finished, rows, { ...options, waking: true });
    }
    return resolution;
  });
}

/** The earliest event for the wait: from its candidates, or from its whole window if it was never checked. */
async function earliestEvent(tx: Tx, wait: EventWaitRow, through: string): Promise<EventRow | undefined> {
  if (wait.checkedSeq === null) return firstMatch(tx, wait, { fromSeq: "0", throughSeq: through });
  const candidates = await readCandidates(tx, wait);
  return candidates.find((event) => satisfies(wait.match, event.payload));
}

/**
 * WAITING → SUCCEEDED with the event's output, or timed out: SUCCEEDED with
 * `timedOut: true`, or FAILED (failing the execution) when the wait says so.
 * Returns the node id when the step moved (a timeout only once its time came).
 */
async function endStepWait(
  tx: Tx,
  changes: ChangeSet,
  workflow: PinnedWorkflow,
  wait: EventWaitRow,
  now: Date,
  end: { output: unknown } | { timedOut: true },
): Promise<string | undefined> {
  const timedOut = "timedOut" in end;
  const failing = timedOut && wait.failOnTimeout;
  const [step] = await tx.query<{ nodeId: string }>(Prisma.sql`SELECT "nodeId" FROM "Step" WHERE id = ${wait.stepId}`);
  if (!step) return undefined;
  const error = failing ? "timed out waiting for event" : null;
  const next = failing ? [] : [...workflow.index.outgoing(step.nodeId)];
  const status = failing ? "FAILED" : "SUCCEEDED";
  const count = await tx.execute(Prisma.sql`
    UPDATE "Step" SET status = ${status}::"StepStatus", error = ${error}, next = ${next}::text[],
      output = ${jsonParam(timedOut ? { timedOut: true, event: null } : end.output)}::jsonb,
      "finishedAt" = ${now}, "resumeAt" = NULL
    WHERE id = ${wait.stepId} AND status = 'WAITING' ${timedOut ? Prisma.sql`AND "resumeAt" <= ${now}` : Prisma.empty}`);
  if (count === 0) return undefined;
  changes.step({ id: wait.stepId as string, nodeId: step.nodeId, status });
  if (failing) await failExecution(tx, changes, `${step.nodeId}: ${error}`, now);
  return step.nodeId;
}

function shardOfWait(wait: EventWaitRow): number {
  return shardOf(wait.keyPath !== null && wait.keyValue !== null ? { path: wait.keyPath, value: wait.keyValue } : null);
}
