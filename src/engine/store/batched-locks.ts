/**
 * What the batched statements (claim-step.ts, finish-statement.ts) share. Each
 * serves many executions at once (StatementBatcher decides which travel
 * together; one is a batch too). The requests travel as JSON parameters, so
 * the text never changes with their number and each connection prepares each
 * statement once, and plans it once, by index only (SqlDb.queryPlannedOnce).
 *
 * Both statements first lock the executions they touch, in id order, and a
 * count over those locks gates every write: no step is touched before every
 * lock is held, so a batch is serialised with every other change of those
 * executions exactly as the locked transaction is, and two batches that share
 * executions wait for each other in id order instead of deadlocking.
 */
import { Prisma } from "../../generated/prisma/client.js";

/**
 * Two statements of each kind out at once keep both PostgreSQL cores busy
 * while the next batch forms; more only splits the waiting requests into
 * smaller batches.
 */
export const BATCHING = {
  maxInFlight: 2,
  maxBatch: 64,
  distinctBy: (request: { executionId: string }) => request.executionId,
};

/**
 * Locks the executions `ids` (sorted) one by one in that order, each found by
 * its primary key whatever the planner thinks of the table's size (a LATERAL
 * subquery with FOR UPDATE is never flattened into a join that might scan).
 */
/**
 * A column of the locked execution: whether its workflow is paused (Workflow.pausedAt, set by
 * pauseWorkflow). Read with every lock, so a statement that would start another step of a paused
 * workflow's execution (a claim, a successor claimed for the caller, steps run ahead in memory)
 * knows it without a statement of its own.
 */
export const WORKFLOW_PAUSED_COLUMN = `EXISTS (
    SELECT 1 FROM "Workflow" w WHERE w.id = "Execution"."workflowId" AND w."pausedAt" IS NOT NULL
  ) AS "workflowPaused"`;
export const WORKFLOW_PAUSED = Prisma.raw(WORKFLOW_PAUSED_COLUMN);

export const lockedExecutions = (ids: readonly string[], columns: Prisma.Sql) => Prisma.sql`locked AS (
    SELECT e.* FROM unnest(${ids}::text[]) AS x(id),
      LATERAL (SELECT ${columns} FROM "Execution" WHERE id = x.id FOR UPDATE) e
  )`;

/**
 * The executions to lock, in the one order every batch uses: two batches that
 * share executions then wait for each other instead of each holding what the
 * other needs.
 */
export function lockOrder(requests: readonly { executionId: string }[]): string[] {
  return requests.map((r) => r.executionId).sort();
}

/** The row of each request's execution; undefined where the execution no longer exists. */
export function inRequestOrder<R extends { id: string }>(requests: readonly { executionId: string }[], rows: R[]) {
  const byExecution = new Map(rows.map((row) => [row.id, row]));
  return requests.map((r) => byExecution.get(r.executionId));
}
