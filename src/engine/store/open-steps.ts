/** The open steps of live executions, as the reconciler rebuilds queue jobs from them. */
import type { SqlDb } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";

export interface OpenStep {
  id: string;
  executionId: string;
  status: "PENDING" | "WAITING" | "RUNNING";
  attempt: number;
  resumeAt: Date | null;
}

/** The PENDING steps of an execution waiting for capacity have no job until admission gives them one. */
const NOT_IN_LINE = Prisma.sql`AND NOT EXISTS (SELECT 1 FROM "CapacityWait" c WHERE c."executionId" = e.id)`;
/**
 * A paused workflow's steps are not claimed (claim-step.ts): its PENDING and RUNNING steps get their
 * jobs back from resumeWorkflow (readHeldSteps), not from every pass. Its waits still end on time.
 */
const NOT_PAUSED = Prisma.sql`AND (s.status = 'WAITING' OR NOT EXISTS (
  SELECT 1 FROM "Workflow" w WHERE w.id = e."workflowId" AND w."pausedAt" IS NOT NULL))`;

/**
 * Open steps with ids after `afterId`, in id order, at most `limit`: all of
 * them when `overdueBefore` is undefined; otherwise those whose job is overdue
 * (PENDING or WAITING past due, RUNNING past its lease, before that instant).
 * Found through the open executions (Execution's status index) and their
 * steps (by executionId), so the cost follows what is open, not the history;
 * Step has no status index on purpose (see its model).
 */
export function readOpenSteps(
  sql: SqlDb,
  page: { afterId: string; limit: number },
  overdueBefore: Date | undefined,
): Promise<OpenStep[]> {
  const { afterId, limit } = page;
  if (!overdueBefore) {
    return sql.query<OpenStep>(Prisma.sql`
      SELECT s.id, s."executionId", s.status::text AS status, s.attempt, s."resumeAt"
      FROM "Execution" e JOIN "Step" s ON s."executionId" = e.id
      WHERE e.status IN ('PENDING', 'RUNNING') AND s.status IN ('PENDING', 'WAITING', 'RUNNING') AND s.id > ${afterId}
        -- A wait for an event without a timeout has no job: an event (or the reconciler's wait pass) ends it.
        AND NOT (s.status = 'WAITING' AND s."resumeAt" IS NULL)
        ${NOT_IN_LINE} ${NOT_PAUSED}
      ORDER BY s.id LIMIT ${limit}`);
  }
  return sql.query<OpenStep>(Prisma.sql`
    SELECT s.id, s."executionId", s.status::text AS status, s.attempt, s."resumeAt"
    FROM "Execution" e JOIN "Step" s ON s."executionId" = e.id
    WHERE e.status IN ('PENDING', 'RUNNING') AND s.id > ${afterId} AND (
      (s.status = 'PENDING' AND COALESCE(s."resumeAt", s."createdAt") < ${overdueBefore}) OR
      (s.status = 'WAITING' AND s."resumeAt" < ${overdueBefore}) OR
      (s.status = 'RUNNING' AND s."leaseUntil" < ${overdueBefore}))
      ${NOT_IN_LINE} ${NOT_PAUSED}
    ORDER BY s.id LIMIT ${limit}`);
}

/**
 * The steps a pause held (PENDING, or RUNNING with a lease that may run out) of `workflowId`'s live
 * executions not in line for capacity, after `afterId` in id order: what resumeWorkflow enqueues.
 * Found through the open executions (Execution's status index), as readOpenSteps finds them.
 */
export function readHeldSteps(
  sql: SqlDb,
  workflowId: string,
  page: { afterId: string; limit: number },
): Promise<OpenStep[]> {
  return sql.query<OpenStep>(Prisma.sql`
    SELECT s.id, s."executionId", s.status::text AS status, s.attempt, s."resumeAt"
    FROM "Execution" e JOIN "Step" s ON s."executionId" = e.id
    WHERE e."workflowId" = ${workflowId} AND e.status IN ('PENDING', 'RUNNING')
      AND s.status IN ('PENDING', 'RUNNING') AND s.id > ${page.afterId}
      ${NOT_IN_LINE}
    ORDER BY s.id LIMIT ${page.limit}`);
}

/** Live executions with a deadline: all of them, or those past it before `overdueBefore`. */
export function readDeadlines(
  sql: SqlDb,
  page: { afterId: string; limit: number },
  overdueBefore: Date | undefined,
): Promise<{ id: string; deadlineAt: Date }[]> {
  const { afterId, limit } = page;
  return sql.query(Prisma.sql`
    SELECT id, "deadlineAt" FROM "Execution"
    WHERE status IN ('PENDING', 'RUNNING') AND "deadlineAt" IS NOT NULL AND id > ${afterId}
      ${overdueBefore ? Prisma.sql`AND "deadlineAt" < ${overdueBefore}` : Prisma.empty}
    ORDER BY id LIMIT ${limit}`);
}
