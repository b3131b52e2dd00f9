/**
 * The work waiting for workers, per workflow, for autoscaling (read when /metrics is scraped):
 * open executions by status, and their steps a worker could run now (PENDING and due, not in a
 * capacity line: those wait for a slot, not a worker) or is running, with the age of the oldest
 * runnable one. Read through the open executions (the (status, createdAt) index), so a scrape
 * costs what is open, not what the tables hold.
 */
import type { SqlRunner } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";
import { timestamp } from "./change-set-sql.js";

export interface WorkflowBacklog {
  workflowId: string;
  pendingExecutions: number;
  runningExecutions: number;
  /** Steps a worker could start now. */
  pendingSteps: number;
  runningSteps: number;
  /** Since the oldest of them could start (its creation, or the end of its retry's backoff); 0 when none. */
  oldestPendingSeconds: number;
}

export async function backlogByWorkflow(sql: SqlRunner, now: Date): Promise<WorkflowBacklog[]> {
  return sql.query<WorkflowBacklog>(Prisma.sql`
    WITH open AS (
      SELECT id, "workflowId", status FROM "Execution" WHERE status IN ('PENDING', 'RUNNING')
    ),
    steps AS (
      SELECT o."workflowId",
        count(*) FILTER (WHERE s.status = 'PENDING')::int AS "pendingSteps",
        count(*) FILTER (WHERE s.status = 'RUNNING')::int AS "runningSteps",
        min(COALESCE(s."resumeAt", s."createdAt")) FILTER (WHERE s.status = 'PENDING') AS "oldestSince"
      FROM open o JOIN "Step" s ON s."executionId" = o.id
      WHERE (s.status = 'RUNNING' OR (s.status = 'PENDING' AND (s."resumeAt" IS NULL OR s."resumeAt" <= ${timestamp(now)})))
        AND NOT EXISTS (SELECT 1 FROM "CapacityWait" c WHERE c."executionId" = o.id)
      GROUP BY o."workflowId"
    ),
    executions AS (
      SELECT "workflowId",
        count(*) FILTER (WHERE status = 'PENDING')::int AS "pendingExecutions",
        count(*) FILTER (WHERE status = 'RUNNING')::int AS "runningExecutions"
      FROM open GROUP BY "workflowId"
    )
    SELECT e."workflowId", e."pendingExecutions", e."runningExecutions",
      COALESCE(s."pendingSteps", 0) AS "pendingSteps", COALESCE(s."runningSteps", 0) AS "runningSteps",
      COALESCE(EXTRACT(EPOCH FROM (${timestamp(now)} - s."oldestSince")), 0)::float AS "oldestPendingSeconds"
    FROM executions e LEFT JOIN steps s ON s."workflowId" = e."workflowId"`);
}
