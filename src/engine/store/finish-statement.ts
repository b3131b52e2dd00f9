/**
 * Finishing a step that succeeded, in ONE statement shared with other
 * executions' finishes (batched-locks.ts): each request's conditional step
 * update decides whether its other rows (new steps, notifications, the seq and
 * the change log, numbered from the seq its lock read) are written. What goes
 * in a request is finish-step.ts's to decide.
 */
import type { SqlDb } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";
import type { ExecutionStatus } from "../../generated/prisma/enums.js";
import { BATCHING, inRequestOrder, lockedExecutions, lockOrder, WORKFLOW_PAUSED } from "./batched-locks.js";
import type { ChangeSet } from "./change-set.js";
import { jsonParam, newRowParts, utcText } from "./change-set-sql.js";
import { perDatabase, StatementBatcher } from "./statement-batcher.js";

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
   * Who holds the step: the caller's claim (`attempt`), or nobody yet, for a
   * new execution's entry step run before any claim (EntryHint): the step is
   * then taken from PENDING (never run: attempt 0, no retry time) in a
   * PENDING execution, both become RUNNING as a claim would make them (the
   * step started at `startedAt`), and the finish goes on as usual; `changes`
   * then starts with those two changes.
   */
  taken: { by: "claim" } | { by: "entry"; startedAt: Date };
  /**
   * The finish starts another step at once (steps run ahead in memory, a successor claimed for the
   * caller, or the entry step itself): refused, with nothing written, when the workflow is paused.
   */
  runsOn: boolean;
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
  /** A child execution's parent, woken when it ends (see LockedExecution). */
  parentExecutionId: string | null;
  parentStepId: string | null;
  wakesScheduleId: string | null;
  /** The execution's workflow is paused (as the lock read it). */
  workflowPaused: boolean;
}

const FINISH = (ids: readonly string[], requests: string, sets: readonly ChangeSet[]) => Prisma.sql`
  WITH requests AS (
    SELECT * FROM jsonb_to_recordset(${requests}::jsonb)
      AS r(execution_id text, step_id text, attempt int, input text, output text, next text[],
           finished_at timestamp(3), last boolean, seqs int, entry boolean, started_at timestamp(3), runs_on boolean)
  ),
  ${lockedExecutions(ids, Prisma.sql`id, status::text AS status, seq, "parentExecutionId", "parentStepId", "wakesScheduleId", ${WORKFLOW_PAUSED}`)},
  fresh AS (
    SELECT l.id FROM locked l WHERE l.seq = (SELECT seen.seq FROM "Execution" seen WHERE seen.id = l.id)
  ),
  ready AS (
    SELECT r.*, l.seq AS base FROM requests r JOIN locked l ON l.id = r.execution_id
    WHERE (SELECT count(*) FROM locked) > 0
      AND l.status = CASE WHEN r.entry THEN 'PENDING' ELSE 'RUNNING' END
      AND (NOT r.last OR l.id IN (SELECT id FROM fresh))
      AND NOT (r.runs_on AND l."workflowPaused")
  ),
  released AS (
    UPDATE "Step" s
    SET status = 'SUCCEEDED', input = r.input::jsonb, output = r.output::jsonb, "leaseUntil" = NULL,
        next = r.next, error = NULL, "finishedAt" = r.finished_at,
        attempt = CASE WHEN r.entry THEN 1 ELSE s.attempt END,
        "startedAt" = CASE WHEN r.entry THEN r.started_at ELSE s."startedAt" END
    FROM ready r
    WHERE s.id = r.step_id AND s."executionId" = r.execution_id AND s.attempt = r.attempt
      AND s.status = CASE WHEN r.entry THEN 'PENDING'::"StepStatus" ELSE 'RUNNING'::"StepStatus" END
      AND (NOT r.entry OR s."resumeAt" IS NULL)
    RETURNING s."executionId"
  ),
  done AS (
    SELECT r.execution_id, r.base, r.seqs, r.finished_at, r.entry, r.started_at,
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
        status = CASE WHEN d.ends THEN 'SUCCEEDED' WHEN d.entry THEN 'RUNNING' ELSE e.status END,
        "startedAt" = CASE WHEN d.entry THEN d.started_at ELSE e."startedAt" END,
        "finishedAt" = CASE WHEN d.ends THEN d.finished_at ELSE e."finishedAt" END
    FROM done d WHERE e.id = d.execution_id
  )
  SELECT l.id, l.status, l.seq, l."parentExecutionId", l."parentStepId", l."wakesScheduleId", l."workflowPaused",
         l.id IN (SELECT id FROM fresh) AS fresh,
         d.execution_id IS NOT NULL AS released, COALESCE(d.ends, false) AS ends
  FROM locked l LEFT JOIN done d ON d.execution_id = l.id`;

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
    entry: r.taken.by === "entry",
    started_at: r.taken.by === "entry" ? utcText(r.taken.startedAt) : null,
    runs_on: r.runsOn,
  }));
  const sets = requests.map((r) => r.changes);
  const rows = await db.queryPlannedOnce<FinishRow & { id: string }>(
    FINISH(lockOrder(requests), JSON.stringify(json), sets),
  );
  return inRequestOrder(requests, rows);
}

/** One batcher per database handle, so every job of a worker shares it. */
const finishBatcher = perDatabase(
  (db) => new StatementBatcher<FinishRequest, FinishRow | undefined>((requests) => finishSteps(db, requests), BATCHING),
);

/** Finishes a step, in a statement shared with other executions' finishes. Undefined if the execution is gone. */
export function batchedFinish(db: SqlDb, request: FinishRequest): Promise<FinishRow | undefined> {
  return finishBatcher(db).submit(request);
}
