/**
 * Claiming a step, in ONE statement shared with other executions' claims
 * (batched-locks.ts): PENDING (its retry time, if any, come) or RUNNING with
 * an expired lease → RUNNING. The same statement returns the step and its
 * execution, so a runnable step costs one round trip before its handler runs.
 */
import type { SqlDb } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";
import type { ExecutionStatus, StepStatus } from "../../generated/prisma/enums.js";
import { BATCHING, inRequestOrder, lockedExecutions, lockOrder, WORKFLOW_PAUSED } from "./batched-locks.js";
import { ChangeSet } from "./change-set.js";
import { utcText } from "./change-set-sql.js";
import type { StepRef } from "./held-step.js";
import { perDatabase, StatementBatcher } from "./statement-batcher.js";

export interface ClaimRequest {
  executionId: string;
  stepId: string;
  now: Date;
  leaseUntil: Date;
}

/**
 * The execution as the claim locked it; the step as the statement found it
 * (before the claim, in the statement's snapshot; null fields if it is gone);
 * and the step's attempt and lost runs if the claim took effect.
 */
export interface ClaimRow {
  id: string;
  workflowId: string;
  workflowVersion: number;
  status: ExecutionStatus;
  seq: number;
  payload: unknown;
  dataOverrides: Record<string, unknown> | null;
  stepStatus: StepStatus | null;
  nodeId: string | null;
  resumeAt: Date | null;
  leaseUntil: Date | null;
  attempt: number | null;
  lostRuns: number | null;
  /** The execution's workflow is paused: no step of it is claimed (pauseWorkflow). */
  workflowPaused: boolean;
}

const CLAIM = (ids: readonly string[], requests: string) => Prisma.sql`
  WITH requests AS (
    SELECT * FROM jsonb_to_recordset(${requests}::jsonb)
      AS r(execution_id text, step_id text, now timestamp(3), lease_until timestamp(3))
  ),
  ${lockedExecutions(ids, Prisma.sql`id, "workflowId", "workflowVersion", status::text AS status, seq, payload, "dataOverrides", ${WORKFLOW_PAUSED}`)},
  ready AS (
    SELECT r.*, l.status AS was, l.seq AS base FROM requests r JOIN locked l ON l.id = r.execution_id
    WHERE (SELECT count(*) FROM locked) > 0 AND l.status IN ('PENDING', 'RUNNING') AND NOT l."workflowPaused"
  ),
  claimed AS (
    UPDATE "Step" s
    SET status = 'RUNNING', attempt = s.attempt + 1, "startedAt" = r.now, "leaseUntil" = r.lease_until,
        "resumeAt" = NULL, "lostRuns" = s."lostRuns" + CASE WHEN s.status = 'RUNNING' THEN 1 ELSE 0 END
    FROM ready r
    WHERE s.id = r.step_id AND s."executionId" = r.execution_id
      AND ((s.status = 'PENDING' AND (s."resumeAt" IS NULL OR s."resumeAt" <= r.now))
        OR (s.status = 'RUNNING' AND s."leaseUntil" < r.now))
    RETURNING s."executionId", s."nodeId", s.attempt, s."lostRuns"
  ),
  done AS (
    SELECT r.*, c."nodeId" AS node_id, c.attempt, c."lostRuns", CASE WHEN r.was = 'PENDING' THEN 2 ELSE 1 END AS seqs
    FROM ready r JOIN claimed c ON c."executionId" = r.execution_id
  ),
  execution_update AS (
    UPDATE "Execution" e
    SET seq = d.base + d.seqs, status = 'RUNNING',
        "startedAt" = CASE WHEN d.was = 'PENDING' THEN d.now ELSE e."startedAt" END
    FROM done d WHERE e.id = d.execution_id
  ),
  change_log AS (
    INSERT INTO "ExecutionChange" ("executionId", seq, kind, "stepId", "nodeId", status)
    SELECT execution_id, base + 1, 'execution', NULL, NULL, 'RUNNING' FROM done WHERE was = 'PENDING'
    UNION ALL
    SELECT execution_id, base + seqs, 'step', step_id, node_id, 'RUNNING' FROM done
  )
  SELECT l.*, st.status::text AS "stepStatus", st."nodeId", st."resumeAt", st."leaseUntil", d.attempt, d."lostRuns"
  FROM locked l
  JOIN requests r ON r.execution_id = l.id
  -- By key, never by a scan a plan made while the table was small might choose (see lockedExecutions).
  LEFT JOIN LATERAL (
    SELECT status, "nodeId", "resumeAt", "leaseUntil" FROM "Step" WHERE id = r.step_id OFFSET 0
  ) st ON true
  LEFT JOIN done d ON d.execution_id = l.id`;

export async function claimSteps(db: SqlDb, requests: readonly ClaimRequest[]): Promise<(ClaimRow | undefined)[]> {
  const json = requests.map((r) => ({
    execution_id: r.executionId,
    step_id: r.stepId,
    now: utcText(r.now),
    lease_until: utcText(r.leaseUntil),
  }));
  const rows = await db.queryPlannedOnce<ClaimRow>(CLAIM(lockOrder(requests), JSON.stringify(json)));
  return inRequestOrder(requests, rows);
}

/** One batcher per database handle, so every job of a worker shares it. */
const claimBatcher = perDatabase(
  (db) => new StatementBatcher<ClaimRequest, ClaimRow | undefined>((requests) => claimSteps(db, requests), BATCHING),
);

/** What claiming a job's step found, and whether it now holds the step. */
export interface JobClaim {
  /** The step as the claim found it (its status before the claim). */
  step: { nodeId: string; status: StepStatus; resumeAt: Date | null; leaseUntil: Date | null };
  execution: {
    workflowId: string;
    workflowVersion: number;
    payload: unknown;
    /** A rerun's replaced node data, by node id. */
    dataOverrides: Record<string, unknown> | null;
  };
  /** Its workflow is paused: the step was not claimed and waits, without a job, for resumeWorkflow. */
  paused: boolean;
  /** Set when the caller now holds the step. */
  claim?: { attempt: number; lostRuns: number };
  changes: ChangeSet;
}

/**
 * PENDING (its retry time, if any, come) or RUNNING with an expired lease →
 * RUNNING, attempt + 1; taking over an expired lease also counts a lost run.
 * The execution becomes RUNNING if it was PENDING. No claim when someone else
 * holds the step, it is not runnable yet, the execution is over or its
 * workflow is paused; undefined
 * when the step or its execution no longer exists. One round trip serves both
 * the claim and the job's read of the step and its execution.
 */
export async function claimJob(
  db: SqlDb,
  job: { stepId: string; executionId: string },
  options: { now: Date; leaseMs: number },
): Promise<JobClaim | undefined> {
  const leaseUntil = new Date(options.now.getTime() + options.leaseMs);
  const row = await claimBatcher(db).submit({ ...job, now: options.now, leaseUntil });
  if (!row?.stepStatus || !row.nodeId) return undefined;
  const {
    attempt,
    lostRuns,
    payload,
    dataOverrides,
    stepStatus,
    nodeId,
    resumeAt,
    leaseUntil: held,
    workflowPaused,
    ...execution
  } = row;
  const changes = new ChangeSet(execution);
  const found = {
    step: { nodeId, status: stepStatus, resumeAt, leaseUntil: held },
    execution: { workflowId: execution.workflowId, workflowVersion: execution.workflowVersion, payload, dataOverrides },
    paused: workflowPaused,
    changes,
  };
  if (attempt === null || lostRuns === null) return found;
  // The same changes, in the same order, as the rows the statement wrote, for publishing.
  if (row.status === "PENDING") changes.executionStatus("RUNNING", { startedAt: options.now });
  changes.step({ id: job.stepId, nodeId, status: "RUNNING" });
  return { ...found, claim: { attempt, lostRuns } };
}

/** claimJob for a step known to exist: `result` is the claim, undefined if not taken. */
export async function claimStep(db: SqlDb, step: StepRef, options: { now: Date; leaseMs: number }) {
  const taken = await claimJob(db, step, options);
  if (!taken) missingExecution(step.executionId);
  return { result: taken.claim, changes: taken.changes };
}

/** The execution of a step this worker holds has no row: it was deleted under it. */
export function missingExecution(executionId: string): never {
  throw new Error(`execution ${executionId} not found while changing one of its steps`);
}
