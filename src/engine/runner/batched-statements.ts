/**
 * The two transitions nearly every step goes through, claiming a step and
 * finishing one that no other step can change, each written as ONE statement
 * that serves many executions at once (StatementBatcher decides which travel
 * together; one is a batch too). The requests travel as JSON parameters, so
 * the text never changes with their number and each connection prepares each
 * statement once, and plans it once, by index only (SqlDb.queryPlannedOnce).
 *
 * Both statements first lock the executions they touch, in id order, and a
 * count over those locks gates every write: no step is touched before every
 * lock is held, so a batch is serialised with every other change of those
 * executions exactly as the locked transaction is, and two batches that share
 * executions wait for each other in id order instead of deadlocking. Each
 * request's conditional step update then decides whether its other rows
 * (new steps, notifications, the seq and the change log, numbered from the seq
 * its lock read) are written.
 */
import type { SqlDb } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";
import type { ExecutionStatus, StepStatus } from "../../generated/prisma/enums.js";
import type { ChangeSet } from "./execution-lock.js";
import { jsonParam, newRowParts, utcText } from "./persist-sql.js";
import { perDatabase, StatementBatcher } from "./statement-batcher.js";

/**
 * Two statements of each kind out at once keep both PostgreSQL cores busy
 * while the next batch forms; more only splits the waiting requests into
 * smaller batches.
 */
const BATCHING = {
  maxInFlight: 2,
  maxBatch: 64,
  distinctBy: (request: { executionId: string }) => request.executionId,
};

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
  stepStatus: StepStatus | null;
  nodeId: string | null;
  resumeAt: Date | null;
  leaseUntil: Date | null;
  attempt: number | null;
  lostRuns: number | null;
}

export interface FinishRequest {
  executionId: string;
  stepId: string;
  /** The attempt the caller claimed: the step is released only if it still holds it. */
  attempt: number;
  input: unknown;
  output: unknown;
  next: readonly string[];
  finishedAt: Date;
  /**
   * A step without successors: the execution SUCCEEDED with it when no other
   * step is open, read in the statement's snapshot, which is trusted only if
   * it already holds the seq the lock read (every step change moves the seq).
   */
  last: boolean;
  /** What the finish writes, numbered from seq 0; the statement adds the locked seq. */
  changes: ChangeSet;
  /**
   * Set for a new execution's entry step run without a claim (EntryHint): the
   * step is taken from PENDING (never run: attempt 0, no retry time) in a
   * PENDING execution, both become RUNNING as a claim would make them (the
   * step started at `startedAt`), then the finish goes on as usual. `changes`
   * then starts with those two changes.
   */
  fromPending?: { startedAt: Date };
}

export interface FinishRow {
  status: ExecutionStatus;
  seq: number;
  /** The statement's snapshot held the locked seq. */
  fresh: boolean;
  /** The caller still held the step and the execution was RUNNING (and, for a last step, fresh): rows written. */
  released: boolean;
  /** A last step ended the execution (SUCCEEDED). */
  ends: boolean;
}

/**
 * Locks the executions `ids` (sorted) one by one in that order, each found by
 * its primary key whatever the planner thinks of the table's size (a LATERAL
 * subquery with FOR UPDATE is never flattened into a join that might scan).
 */
const lockedExecutions = (ids: readonly string[], columns: Prisma.Sql) => Prisma.sql`locked AS (
    SELECT e.* FROM unnest(${ids}::text[]) AS x(id),
      LATERAL (SELECT ${columns} FROM "Execution" WHERE id = x.id FOR UPDATE) e
  )`;

const CLAIM = (ids: readonly string[], requests: string) => Prisma.sql`
  WITH requests AS (
    SELECT * FROM jsonb_to_recordset(${requests}::jsonb)
      AS r(execution_id text, step_id text, now timestamp(3), lease_until timestamp(3))
  ),
  ${lockedExecutions(ids, Prisma.sql`id, "workflowId", "workflowVersion", status::text AS status, seq, payload`)},
  ready AS (
    SELECT r.*, l.status AS was, l.seq AS base FROM requests r JOIN locked l ON l.id = r.execution_id
    WHERE (SELECT count(*) FROM locked) > 0 AND l.status IN ('PENDING', 'RUNNING')
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

const FINISH = (ids: readonly string[], requests: string, sets: readonly ChangeSet[]) => Prisma.sql`
  WITH requests AS (
    SELECT * FROM jsonb_to_recordset(${requests}::jsonb)
      AS r(execution_id text, step_id text, attempt int, input text, output text, next text[],
           finished_at timestamp(3), last boolean, seqs int, from_pending boolean, started_at timestamp(3))
  ),
  ${lockedExecutions(ids, Prisma.sql`id, status::text AS status, seq`)},
  fresh AS (
    SELECT l.id FROM locked l WHERE l.seq = (SELECT seen.seq FROM "Execution" seen WHERE seen.id = l.id)
  ),
  ready AS (
    SELECT r.*, l.seq AS base FROM requests r JOIN locked l ON l.id = r.execution_id
    WHERE (SELECT count(*) FROM locked) > 0
      AND l.status = CASE WHEN r.from_pending THEN 'PENDING' ELSE 'RUNNING' END
      AND (NOT r.last OR l.id IN (SELECT id FROM fresh))
  ),
  released AS (
    UPDATE "Step" s
    SET status = 'SUCCEEDED', input = r.input::jsonb, output = r.output::jsonb, "leaseUntil" = NULL,
        next = r.next, error = NULL, "finishedAt" = r.finished_at,
        attempt = CASE WHEN r.from_pending THEN 1 ELSE s.attempt END,
        "startedAt" = CASE WHEN r.from_pending THEN r.started_at ELSE s."startedAt" END
    FROM ready r
    WHERE s.id = r.step_id AND s."executionId" = r.execution_id AND s.attempt = r.attempt
      AND s.status = CASE WHEN r.from_pending THEN 'PENDING'::"StepStatus" ELSE 'RUNNING'::"StepStatus" END
      AND (NOT r.from_pending OR s."resumeAt" IS NULL)
    RETURNING s."executionId"
  ),
  done AS (
    SELECT r.execution_id, r.base, r.seqs, r.finished_at, r.from_pending, r.started_at,
      r.last AND NOT EXISTS (
        SELECT 1 FROM "Step" o WHERE o."executionId" = r.execution_id AND o.id <> r.step_id
          AND o.status IN ('PENDING', 'RUNNING', 'WAITING')
      ) AS ends
    FROM ready r JOIN released x ON x."executionId" = r.execution_id
  ),
  ${newRowParts(
    sets,
    Prisma.sql`done`,
    Prisma.sql`SELECT execution_id, base + seqs + 1, 'execution', NULL, NULL, 'SUCCEEDED' FROM done WHERE ends`,
  )},
  execution_update AS (
    UPDATE "Execution" e
    SET seq = d.base + d.seqs + CASE WHEN d.ends THEN 1 ELSE 0 END,
        status = CASE WHEN d.ends THEN 'SUCCEEDED' WHEN d.from_pending THEN 'RUNNING' ELSE e.status END,
        "startedAt" = CASE WHEN d.from_pending THEN d.started_at ELSE e."startedAt" END,
        "finishedAt" = CASE WHEN d.ends THEN d.finished_at ELSE e."finishedAt" END
    FROM done d WHERE e.id = d.execution_id
  )
  SELECT l.id, l.status, l.seq, l.id IN (SELECT id FROM fresh) AS fresh,
         d.execution_id IS NOT NULL AS released, COALESCE(d.ends, false) AS ends
  FROM locked l LEFT JOIN done d ON d.execution_id = l.id`;

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

export async function finishSteps(db: SqlDb, requests: readonly FinishRequest[]): Promise<(FinishRow | undefined)[]> {
  const json = requests.map((r) => ({
    execution_id: r.executionId,
    step_id: r.stepId,
    attempt: r.attempt,
    input: jsonParam(r.input),
    output: jsonParam(r.output),
    next: r.next,
    finished_at: utcText(r.finishedAt),
    last: r.last,
    seqs: r.changes.execution.seq,
    from_pending: r.fromPending !== undefined,
    started_at: r.fromPending ? utcText(r.fromPending.startedAt) : null,
  }));
  const sets = requests.map((r) => r.changes);
  const rows = await db.queryPlannedOnce<FinishRow & { id: string }>(
    FINISH(lockOrder(requests), JSON.stringify(json), sets),
  );
  return inRequestOrder(requests, rows);
}

/**
 * The executions to lock, in the one order every batch uses: two batches that
 * share executions then wait for each other instead of each holding what the
 * other needs.
 */
function lockOrder(requests: readonly { executionId: string }[]): string[] {
  return requests.map((r) => r.executionId).sort();
}

/** The row of each request's execution; undefined where the execution no longer exists. */
function inRequestOrder<R extends { id: string }>(requests: readonly { executionId: string }[], rows: R[]) {
  const byExecution = new Map(rows.map((row) => [row.id, row]));
  return requests.map((r) => byExecution.get(r.executionId));
}

/** One batcher of each kind per database handle, so every job of a worker shares them. */
const claimBatcher = perDatabase(
  (db) => new StatementBatcher<ClaimRequest, ClaimRow | undefined>((requests) => claimSteps(db, requests), BATCHING),
);
const finishBatcher = perDatabase(
  (db) => new StatementBatcher<FinishRequest, FinishRow | undefined>((requests) => finishSteps(db, requests), BATCHING),
);

/** Claims a step, in a statement shared with other executions' claims. Undefined if the execution is gone. */
export function batchedClaim(db: SqlDb, request: ClaimRequest): Promise<ClaimRow | undefined> {
  return claimBatcher(db).submit(request);
}

/** Finishes a step, in a statement shared with other executions' finishes. Undefined if the execution is gone. */
export function batchedFinish(db: SqlDb, request: FinishRequest): Promise<FinishRow | undefined> {
  return finishBatcher(db).submit(request);
}
