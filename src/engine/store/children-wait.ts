/**
 * Waiting for child executions, the fourth kind of wait (call_workflow, for_each). Starting:
 * under the parent's lock, the step goes RUNNING → WAITING with a ChildBatch row saying what to
 * run, and its first children are written in the same transaction, so a crash either starts
 * them with the wait or starts nothing. Settling: each time a child ends, a job wakes the step
 * (runner/after-commit.ts; the reconciler redoes a lost one, batchesToSettle), and under the
 * parent's lock it counts its children, starts more while fewer than `maxConcurrency` run,
 * fails when more failed than tolerated (failing the execution cancels the rest), and succeeds
 * with their outputs once all of them ended. A waiting parent holds no worker and no
 * concurrency slot; waking takes one back (advanceExecution's `waking`).
 */
import type { SqlDb } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";
import type { ChildrenRequest } from "../handlers/types.js";
import type { PinnedWorkflow } from "../workflow-cache.js";
import {
  type AdvanceOptions,
  advanceExecution,
  type ClaimedStep,
  failExecution,
  readSteps,
} from "./advance-execution.js";
import type { ChangeSet } from "./change-set.js";
import { jsonParam } from "./change-set-sql.js";
import {
  type ChildLink,
  type ChildRow,
  childOutputs,
  detachChildren,
  type PlannedChild,
  readChildren,
  writeChildren,
} from "./child-executions.js";
import { inExecutionTransaction, type Tx } from "./execution-lock.js";
import { type Finish, releaseHeld, releaseSucceeded, type StepRef } from "./held-step.js";
import type { ExecutionStarter } from "./start-executions.js";

export interface ChildOptions extends AdvanceOptions {
  /** How deep calls may nest (MAX_CALL_DEPTH): an execution no step started is at depth 0. */
  maxCallDepth: number;
}

/** What a step waits for, as stored (ChildBatch). */
interface Batch {
  stepId: string;
  mode: "call" | "for_each";
  workflowId: string;
  workflowVersion: number;
  /** call: the child's payload; for_each: the items (null when read back: itemsAt reads the ones it needs). */
  input: unknown;
  count: number;
  maxConcurrency: number;
  tolerated: number;
}

/**
 * The step asks for children: unless the call does not wait, RUNNING → WAITING with its batch and
 * its first children; a call that does not wait succeeds at once with its child's id. `held`
 * false when the caller no longer held the step.
 */
export function startChildren(
  db: SqlDb,
  workflow: PinnedWorkflow,
  finish: Finish,
  request: ChildrenRequest,
  starter: ExecutionStarter,
  options: ChildOptions,
) {
  const { stepId, executionId, nodeId } = finish.step;
  return inExecutionTransaction(db, executionId, async (tx, changes) => {
    const [parent] = await tx.query<{ callDepth: number; payload: unknown }>(Prisma.sql`
      SELECT "callDepth", payload FROM "Execution" WHERE id = ${executionId}`);
    const depth = (parent?.callDepth ?? 0) + 1;
    if (depth > options.maxCallDepth) {
      const error = `call depth limit reached: calls may nest ${options.maxCallDepth} deep (MAX_CALL_DEPTH)`;
      if (!(await releaseHeld(tx, changes, finish, "FAILED", { error, finishedAt: options.now })))
        return { held: false };
      await failExecution(tx, changes, `${nodeId}: ${error}`, options.now);
      return { held: true };
    }
    const link: ChildLink = { parentExecutionId: executionId, parentStepId: stepId, callDepth: depth };
    if (request.mode === "call" && !request.wait) {
      const child = starter.plan(request.payload);
      const output = { executionId: child.id, workflowId: starter.workflow.workflowId };
      const next = workflow.index.outgoing(nodeId);
      const rows = await releaseSucceeded(
        tx,
        changes,
        { ...finish, output, next },
        { error: null, finishedAt: options.now },
      );
      if (!rows) return { held: false };
      await detachChildren(tx, stepId, { keepSucceeded: false });
      await writeChildren(tx, changes, [{ index: 0, payload: request.payload, planned: child }], link, options.now);
      return { held: true, next: await advanceExecution(tx, changes, workflow, [nodeId], rows, options) };
    }
    if (!(await releaseHeld(tx, changes, finish, "WAITING", { resumeAt: null }))) return { held: false };
    const batch = batchOf(stepId, request, starter.workflow);
    await saveBatch(tx, executionId, batch);
    // A retried execution runs its step again: children that succeeded before are kept.
    await detachChildren(tx, stepId, { keepSucceeded: true });
    const next = await settleLocked(tx, changes, workflow, finish.step, batch, { starter, link, parent }, options);
    return { held: true, next };
  });
}

/**
 * A child of the step ended (or the reconciler found one whose wake was lost): count them, start
 * more, or end the wait. Nothing happens unless the step is still WAITING with its batch.
 * `starter` must run the batch's pinned version (readBatchTarget).
 */
export function settleChildren(
  db: SqlDb,
  workflow: PinnedWorkflow,
  step: StepRef,
  starter: ExecutionStarter,
  options: ChildOptions,
) {
  return inExecutionTransaction(db, step.executionId, async (tx, changes): Promise<ClaimedStep | undefined> => {
    if (changes.execution.status !== "RUNNING") return undefined;
    const [batch] = await tx.query<Batch & { waiting: boolean; callDepth: number; payload: unknown }>(Prisma.sql`
      SELECT b."stepId", b.mode, b."workflowId", b."workflowVersion",
        CASE WHEN b.mode = 'call' THEN b.input END AS input, b.count, b."maxConcurrency", b.tolerated,
        s.status = 'WAITING' AS waiting, e."callDepth", e.payload
      FROM "ChildBatch" b JOIN "Step" s ON s.id = b."stepId" JOIN "Execution" e ON e.id = b."executionId"
      WHERE b."stepId" = ${step.stepId}`);
    if (!batch?.waiting) return undefined;
    const link: ChildLink = {
      parentExecutionId: step.executionId,
      parentStepId: step.stepId,
      callDepth: batch.callDepth + 1,
    };
    return settleLocked(tx, changes, workflow, step, batch, { starter, link, parent: batch }, options);
  });
}

/** A step waiting for its children, as a wake needs it before its transaction: its execution, and the version children run. */
export interface WaitingParent {
  nodeId: string;
  workflowId: string;
  workflowVersion: number;
  payload: unknown;
  dataOverrides: Record<string, unknown> | null;
  targetWorkflowId: string;
  targetVersion: number;
}

/** One read instead of a claim's: undefined when the step no longer waits for children. */
export async function readWaitingParent(db: SqlDb, stepId: string): Promise<WaitingParent | undefined> {
  const [row] = await db.query<WaitingParent>(Prisma.sql`
    SELECT s."nodeId", e."workflowId", e."workflowVersion", e.payload, e."dataOverrides",
      b."workflowId" AS "targetWorkflowId", b."workflowVersion" AS "targetVersion"
    FROM "ChildBatch" b JOIN "Step" s ON s.id = b."stepId" JOIN "Execution" e ON e.id = b."executionId"
    WHERE b."stepId" = ${stepId} AND s.status = 'WAITING' AND e.status = 'RUNNING'`);
  return row;
}

function batchOf(stepId: string, request: ChildrenRequest, target: PinnedWorkflow): Batch {
  const pinned = { stepId, mode: request.mode, workflowId: target.workflowId, workflowVersion: target.version };
  if (request.mode === "call") {
    const tolerated = request.onChildFailure === "continue" ? 1 : 0;
    return { ...pinned, input: request.payload, count: 1, maxConcurrency: 1, tolerated };
  }
  const { items, maxConcurrency, toleratedFailures } = request;
  return { ...pinned, input: items, count: items.length, maxConcurrency, tolerated: toleratedFailures };
}

async function saveBatch(tx: Tx, executionId: string, batch: Batch): Promise<void> {
  await tx.execute(Prisma.sql`
    INSERT INTO "ChildBatch" ("stepId", "executionId", mode, "workflowId", "workflowVersion", input, count,
      "maxConcurrency", tolerated)
    VALUES (${batch.stepId}, ${executionId}, ${batch.mode}, ${batch.workflowId}, ${batch.workflowVersion},
      ${jsonParam(batch.input) ?? "null"}::jsonb, ${batch.count}::int, ${batch.maxConcurrency}::int, ${batch.tolerated}::int)
    ON CONFLICT ("stepId") DO UPDATE SET mode = EXCLUDED.mode, "workflowId" = EXCLUDED."workflowId",
      "workflowVersion" = EXCLUDED."workflowVersion", input = EXCLUDED.input, count = EXCLUDED.count,
      "maxConcurrency" = EXCLUDED."maxConcurrency", tolerated = EXCLUDED.tolerated, settled = 0`);
}

interface Starting {
  starter: ExecutionStarter;
  link: ChildLink;
  /** The parent's payload: each for_each child gets it as `parent`. */
  parent: { payload: unknown } | undefined;
}

/**
 * Under the parent's lock, with the step WAITING: starts the children that may run now (the
 * lowest indexes not started, while fewer than maxConcurrency run), then fails the step if more
 * failed than tolerated, or succeeds it once every child ended. Each wake reads counts, not the
 * children: a for_each over n items costs n wakes, not n² rows.
 */
async function settleLocked(
  tx: Tx,
  changes: ChangeSet,
  workflow: PinnedWorkflow,
  step: StepRef,
  batch: Batch,
  starting: Starting,
  options: ChildOptions,
): Promise<ClaimedStep | undefined> {
  for (;;) {
    const counts = await countChildren(tx, step.stepId);
    if (counts.failed > batch.tolerated) {
      await failWaiting(tx, changes, step, await failureMessage(tx, batch, counts.failed), options.now);
      return undefined;
    }
    const toStart = await nextIndexes(tx, batch, counts);
    if (toStart.length > 0) {
      const items = await itemsAt(tx, batch, toStart);
      const children = toStart.map((index, i) => plannedChild(batch, index, items[i], starting));
      await writeChildren(tx, changes, children, starting.link, options.now);
      continue; // a child of an empty workflow has ended already: count again
    }
    await tx.execute(
      Prisma.sql`UPDATE "ChildBatch" SET settled = ${counts.ended}::int WHERE "stepId" = ${step.stepId}`,
    );
    if (counts.ended < batch.count) return undefined;
    const output = await batchOutput(tx, batch, await readChildren(tx, step.stepId));
    return succeedWaiting(tx, changes, workflow, step, output, options);
  }
}

interface ChildCounts {
  started: number;
  ended: number;
  failed: number;
  /** The highest index started; -1 for none. */
  highest: number;
}

function countChildren(tx: Tx, parentStepId: string): Promise<ChildCounts> {
  return tx
    .query<ChildCounts>(Prisma.sql`
      SELECT count(*)::int AS started,
        (count(*) FILTER (WHERE status NOT IN ('PENDING', 'RUNNING')))::int AS ended,
        (count(*) FILTER (WHERE status NOT IN ('PENDING', 'RUNNING', 'SUCCEEDED')))::int AS failed,
        COALESCE(max("childIndex"), -1)::int AS highest
      FROM "Execution" WHERE "parentStepId" = ${parentStepId}`)
    .then((rows) => rows[0] as ChildCounts);
}

/**
 * The lowest indexes without a child, as many as may start now. Children start in index order,
 * so they are usually the ones after the highest; a retried step that kept its succeeded items
 * has gaps, found by index.
 */
async function nextIndexes(tx: Tx, batch: Batch, counts: ChildCounts): Promise<number[]> {
  const running = counts.started - counts.ended;
  const room = Math.min(batch.maxConcurrency - running, batch.count - counts.started);
  if (room <= 0) return [];
  if (counts.started === counts.highest + 1) {
    return Array.from({ length: room }, (_, i) => counts.highest + 1 + i);
  }
  const rows = await tx.query<{ index: number }>(Prisma.sql`
    SELECT i AS index FROM generate_series(0, ${batch.count - 1}::int) AS i
    WHERE NOT EXISTS (SELECT 1 FROM "Execution" WHERE "parentStepId" = ${batch.stepId} AND "childIndex" = i)
    ORDER BY i LIMIT ${room}::int`);
  return rows.map((r) => r.index);
}

/** The items at these indexes (for_each), read from the stored list only when not at hand. */
async function itemsAt(tx: Tx, batch: Batch, indexes: readonly number[]): Promise<unknown[]> {
  if (batch.mode === "call") return indexes.map(() => batch.input);
  if (Array.isArray(batch.input)) return indexes.map((i) => (batch.input as unknown[])[i] ?? null);
  const rows = await tx.query<{ item: unknown }>(Prisma.sql`
    SELECT b.input -> x.i AS item FROM unnest(${[...indexes]}::int[]) WITH ORDINALITY AS x(i, n)
    JOIN "ChildBatch" b ON b."stepId" = ${batch.stepId} ORDER BY x.n`);
  return rows.map((r) => r.item ?? null);
}

function plannedChild(batch: Batch, index: number, item: unknown, { starter, parent }: Starting): PlannedChild {
  const payload = batch.mode === "call" ? item : { item, index, parent: parent?.payload ?? null };
  return { index, payload, planned: starter.plan(payload) };
}

/** call: `{executionId, status, output}`; for_each: `{results, succeeded, failed}` in item order. */
async function batchOutput(tx: Tx, batch: Batch, children: readonly ChildRow[]) {
  const outputs = await childOutputs(
    tx,
    children.map((c) => c.id),
  );
  const results = children.map((c) => ({
    index: c.childIndex,
    executionId: c.id,
    status: c.status,
    output: outputs.get(c.id) ?? {},
    ...(c.error === null ? {} : { error: c.error }),
  }));
  if (batch.mode === "call") {
    const { index: _index, ...only } = results[0] as (typeof results)[number];
    return only;
  }
  const succeeded = results.filter((r) => r.status === "SUCCEEDED").length;
  return { results, succeeded, failed: results.length - succeeded };
}

/** Why the step failed, naming the first child (by index) that did not succeed. */
async function failureMessage(tx: Tx, batch: Batch, failed: number): Promise<string> {
  const [first] = await tx.query<ChildRow>(Prisma.sql`
    SELECT id, "childIndex", status::text AS status, error FROM "Execution"
    WHERE "parentStepId" = ${batch.stepId} AND status NOT IN ('PENDING', 'RUNNING', 'SUCCEEDED')
    ORDER BY "childIndex" LIMIT 1`);
  const how = first ? `${first.status}${first.error ? `: ${first.error}` : ""}` : "did not succeed";
  if (batch.mode === "call") return `child execution ${first?.id} ${how}`;
  return (
    `${failed} of ${batch.count} items failed (${batch.tolerated} tolerated); ` +
    `item ${first?.childIndex} (execution ${first?.id}) ${how}`
  );
}

/** WAITING → SUCCEEDED with the children's output, then on to the successors (taking a slot back if it has to). */
async function succeedWaiting(
  tx: Tx,
  changes: ChangeSet,
  workflow: PinnedWorkflow,
  step: StepRef,
  output: unknown,
  options: ChildOptions,
): Promise<ClaimedStep | undefined> {
  const next = workflow.index.outgoing(step.nodeId);
  const count = await tx.execute(Prisma.sql`
    WITH batch AS (DELETE FROM "ChildBatch" WHERE "stepId" = ${step.stepId})
    UPDATE "Step" SET status = 'SUCCEEDED', output = ${jsonParam(output)}::jsonb, next = ${[...next]}::text[],
      "finishedAt" = ${options.now}
    WHERE id = ${step.stepId} AND status = 'WAITING'`);
  if (count === 0) return undefined;
  changes.step({ id: step.stepId, nodeId: step.nodeId, status: "SUCCEEDED" });
  const rows = await readSteps(tx, step.executionId);
  return advanceExecution(tx, changes, workflow, [step.nodeId], rows, { ...options, waking: true });
}

/** WAITING → FAILED; the execution fails with it, which cancels the children still running. */
async function failWaiting(tx: Tx, changes: ChangeSet, step: StepRef, error: string, now: Date): Promise<void> {
  const count = await tx.execute(Prisma.sql`
    WITH batch AS (DELETE FROM "ChildBatch" WHERE "stepId" = ${step.stepId})
    UPDATE "Step" SET status = 'FAILED', error = ${error}, "finishedAt" = ${now}
    WHERE id = ${step.stepId} AND status = 'WAITING'`);
  if (count === 0) return;
  changes.step({ id: step.stepId, nodeId: step.nodeId, status: "FAILED" });
  await failExecution(tx, changes, `${step.nodeId}: ${error}`, now);
}
