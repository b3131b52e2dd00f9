/**
 * The two transitions almost every step goes through, each as ONE statement
 * that PostgreSQL commits on its own, instead of a transaction of four round
 * trips (BEGIN with the lock, update, write, COMMIT):
 *
 * - claiming a step (PENDING, or RUNNING with an expired lease → RUNNING);
 * - finishing a step whose successors cannot depend on any other step: control
 *   flowed to every node it points to, and each of those has no other incoming
 *   path (no join, nothing to skip, and the execution cannot end here).
 *
 * Each statement first locks the execution row (a FOR UPDATE in its first CTE,
 * which every other part waits on), so it is serialised with every other
 * change of the execution exactly as the locked transaction is; then makes its
 * conditional update of the step; and writes the ChangeSet's rows only if that
 * update took effect, numbered from the seq the lock read. Anything else (a
 * join, a branch that skips, the last step, a stopped execution) goes through
 * the locked transaction in transitions.ts.
 */
import type { SqlDb } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";
import type { ExecutionStatus } from "../../generated/prisma/enums.js";
import { type AdvanceOptions, type ClaimedStep, createPlannedSteps } from "./advance.js";
import { ACTIVE_EXECUTION, ChangeSet } from "./execution-lock.js";
import { jsonParam, persistParts } from "./persist-sql.js";
import type { Finish, StepRef } from "./transitions.js";
import type { PinnedWorkflow } from "./workflow-cache.js";

const LOCKED = Prisma.sql`locked AS (
  SELECT "workflowId", "workflowVersion", status::text AS status, seq FROM "Execution" WHERE id = `;

interface LockedRow {
  workflowId: string;
  workflowVersion: number;
  status: ExecutionStatus;
  seq: number;
}

/**
 * PENDING (or RUNNING with an expired lease) → RUNNING, attempt + 1; taking
 * over an expired lease also counts a lost run. The execution becomes RUNNING
 * if it was PENDING. `result` is undefined when someone else holds the step or
 * the execution is over.
 */
export async function claimStep(db: SqlDb, step: StepRef, options: { now: Date; leaseMs: number }) {
  const leaseUntil = new Date(options.now.getTime() + options.leaseMs);
  // In SET, `status` is the value before this update: RUNNING means the previous run was lost.
  const [row] = await db.query<LockedRow & { attempt: number | null; lostRuns: number | null }>(Prisma.sql`
    WITH ${LOCKED}${step.executionId} FOR UPDATE),
    claimed AS (
      UPDATE "Step"
      SET status = 'RUNNING', attempt = attempt + 1, "startedAt" = ${options.now}, "leaseUntil" = ${leaseUntil},
          "resumeAt" = NULL, "lostRuns" = "lostRuns" + CASE WHEN status = 'RUNNING' THEN 1 ELSE 0 END
      WHERE id = ${step.stepId}
        AND (status = 'PENDING' OR (status = 'RUNNING' AND "leaseUntil" < ${options.now}))
        AND (SELECT status FROM locked) IN ('PENDING', 'RUNNING')
      RETURNING attempt, "lostRuns"
    ),
    execution_update AS (
      UPDATE "Execution"
      SET seq = seq + CASE WHEN status = 'PENDING' THEN 2 ELSE 1 END, status = 'RUNNING',
          "startedAt" = CASE WHEN status = 'PENDING' THEN ${options.now} ELSE "startedAt" END
      WHERE id = ${step.executionId} AND EXISTS (SELECT 1 FROM claimed)
    ),
    change_log AS (
      INSERT INTO "ExecutionChange" ("executionId", seq, kind, "stepId", "nodeId", status)
      SELECT ${step.executionId}::text, l.seq + 1, 'execution', NULL::text, NULL::text, 'RUNNING'
      FROM locked l WHERE l.status = 'PENDING' AND EXISTS (SELECT 1 FROM claimed)
      UNION ALL
      SELECT ${step.executionId}::text, l.seq + CASE WHEN l.status = 'PENDING' THEN 2 ELSE 1 END, 'step',
             ${step.stepId}::text, ${step.nodeId}::text, 'RUNNING'
      FROM locked l WHERE EXISTS (SELECT 1 FROM claimed)
    )
    SELECT l.*, c.attempt, c."lostRuns" FROM locked l LEFT JOIN claimed c ON true`);
  const changes = new ChangeSet({ id: step.executionId, ...(row ?? missing(step.executionId)) });
  if (row?.attempt == null || row.lostRuns == null) return { result: undefined, changes };
  // The same changes, in the same order, as the rows the statement wrote, for publishing.
  if (row.status === "PENDING") changes.executionStatus("RUNNING", { startedAt: options.now });
  changes.step({ id: step.stepId, nodeId: step.nodeId, status: "RUNNING" });
  return { result: { attempt: row.attempt, lostRuns: row.lostRuns }, changes };
}

function missing(executionId: string): never {
  throw new Error(`execution ${executionId} not found while claiming its step`);
}

/**
 * The nodes a finished step leads to when none of them depends on another
 * step: control flowed to every outgoing node, each has this node as its only
 * source, and the graph is small enough that the step limit cannot be reached
 * (every node runs at most once). Undefined when the locked transaction must
 * decide (joins, skips, the end of the execution, the step limit).
 */
export function independentSuccessors(
  workflow: PinnedWorkflow,
  nodeId: string,
  next: readonly string[],
  maxStepsPerExecution: number,
): readonly string[] | undefined {
  const outgoing = workflow.index.outgoing(nodeId);
  if (outgoing.length === 0 || workflow.index.nodes.size > maxStepsPerExecution) return undefined;
  if (next.length !== outgoing.length || !outgoing.every((target) => next.includes(target))) return undefined;
  const single = outgoing.every((target) => {
    const sources = workflow.index.incoming(target);
    return sources.length === 1 && sources[0] === nodeId;
  });
  return single ? outgoing : undefined;
}

/**
 * RUNNING → SUCCEEDED for a step whose successors are `successors`
 * (independentSuccessors), creating them (the first claimed for the caller
 * when `claimNextForMs` is set), in one statement. `result` is undefined when
 * the caller no longer held the step (nothing was written). Undefined when the
 * execution is no longer RUNNING: nothing was written, and the locked
 * transaction should record the step.
 */
export async function completeIndependentStep(
  db: SqlDb,
  workflow: PinnedWorkflow,
  finish: Finish & { next: readonly string[] },
  successors: readonly string[],
  options: AdvanceOptions,
): Promise<{ result: ClaimedStep | undefined; changes: ChangeSet } | undefined> {
  const { stepId, executionId, nodeId } = finish.step;
  // Built from seq 0 and moved to the execution's real seq once the statement has read it.
  const execution = { workflowId: workflow.workflowId, workflowVersion: workflow.version, status: "RUNNING" as const };
  const changes = new ChangeSet({ id: executionId, ...execution, seq: 0 });
  changes.step({ id: stepId, nodeId, status: "SUCCEEDED" });
  changes.notifications(stepId, finish.notifications ?? []);
  const planned = successors.map((target) => ({ nodeId: target, status: "PENDING" as const }));
  const claimed = createPlannedSteps(changes, workflow, planned, options.now, options.claimNextForMs);

  const scope = { seqBase: Prisma.sql`(SELECT seq FROM locked)`, onlyIf: Prisma.sql`EXISTS (SELECT 1 FROM released)` };
  const [row] = await db.query<{ status: ExecutionStatus; seq: number; released: boolean }>(Prisma.sql`
    WITH ${LOCKED}${executionId} FOR UPDATE),
    released AS (
      UPDATE "Step"
      SET status = 'SUCCEEDED', input = ${jsonParam(finish.input)}::jsonb, output = ${jsonParam(finish.output)}::jsonb,
          "leaseUntil" = NULL, next = ${[...finish.next]}::text[], error = NULL, "finishedAt" = ${options.now}
      WHERE id = ${stepId} AND status = 'RUNNING' AND attempt = ${finish.attempt}
        AND (SELECT status FROM locked) = 'RUNNING'
      RETURNING 1
    ),
    ${persistParts(changes, scope)}
    SELECT status, seq, EXISTS (SELECT 1 FROM released) AS released FROM locked`);
  if (!row) missing(executionId);
  if (!row.released) {
    if (!ACTIVE_EXECUTION.has(row.status)) return undefined;
    return { result: undefined, changes: new ChangeSet({ id: executionId, ...execution, seq: row.seq }) };
  }
  changes.rebase(row.seq);
  return { result: claimed, changes };
}
