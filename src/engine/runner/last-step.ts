/**
 * A step with no successors, finished in one statement like the others in
 * single-statement.ts; the execution SUCCEEDED with it when no other step is
 * open.
 *
 * Whether another step is open is read in the statement's snapshot, and that
 * snapshot may be older than the lock the statement then waits for: a change
 * committed in between would be missed. Every change of an execution's steps
 * also moves its seq in the same transaction, so the read is trusted only when
 * the snapshot already holds the seq the lock returned; otherwise nothing is
 * written and the caller uses the locked transaction.
 */
import type { SqlDb } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";
import type { ChangeSet } from "./execution-lock.js";
import { newRowParts } from "./persist-sql.js";
import { LOCKED, missing, noChanges, releasedStep, succeededChanges } from "./single-statement.js";
import type { Finish } from "./transitions.js";
import type { PinnedWorkflow } from "./workflow-cache.js";

interface Row {
  released: boolean;
  fresh: boolean;
  open: boolean;
  seq: number;
}

/**
 * `result` is always undefined (nothing follows); `changes` is empty when the
 * caller no longer held the step. Undefined when the locked transaction must
 * decide (the execution is not RUNNING, or the snapshot was not fresh).
 */
export async function completeLastStep(
  db: SqlDb,
  workflow: PinnedWorkflow,
  finish: Finish & { next: readonly string[] },
  now: Date,
): Promise<{ result: undefined; changes: ChangeSet } | undefined> {
  const { stepId, executionId } = finish.step;
  const changes = succeededChanges(workflow, finish);

  const released = Prisma.sql`EXISTS (SELECT 1 FROM released)`;
  const scope = { seqBase: Prisma.sql`(SELECT seq FROM locked)`, onlyIf: released };
  const open = Prisma.sql`(SELECT open FROM others)`;
  const [row] = await db.query<Row>(Prisma.sql`
    WITH ${LOCKED}${executionId} FOR UPDATE),
    fresh AS (
      SELECT 1 FROM locked l JOIN "Execution" seen ON seen.id = ${executionId} AND seen.seq = l.seq
      WHERE l.status = 'RUNNING'
    ),
    ${releasedStep(finish, now, Prisma.sql`EXISTS (SELECT 1 FROM fresh)`)},
    others AS (
      SELECT EXISTS (
        SELECT 1 FROM "Step" WHERE "executionId" = ${executionId} AND id <> ${stepId}
          AND status IN ('PENDING', 'RUNNING', 'WAITING')
      ) AS open
    ),
    ${Prisma.join(newRowParts([changes], scope))},
    execution_update AS (
      UPDATE "Execution"
      SET seq = seq + CASE WHEN ${open} THEN 1 ELSE 2 END,
          status = CASE WHEN ${open} THEN status ELSE 'SUCCEEDED' END,
          "finishedAt" = CASE WHEN ${open} THEN "finishedAt" ELSE ${now} END
      WHERE id = ${executionId} AND ${released}
    ),
    execution_log AS (
      INSERT INTO "ExecutionChange" ("executionId", seq, kind, "stepId", "nodeId", status)
      SELECT ${executionId}::text, l.seq + 2, 'execution', NULL, NULL, 'SUCCEEDED'
      FROM locked l WHERE ${released} AND NOT ${open}
    )
    SELECT ${released} AS released, EXISTS (SELECT 1 FROM fresh) AS fresh, ${open} AS open, l.seq FROM locked l`);
  if (!row) missing(executionId);
  if (!row.fresh) return undefined;
  if (!row.released) return { result: undefined, changes: noChanges(workflow, executionId, row.seq) };
  changes.rebase(row.seq);
  if (!row.open) changes.executionStatus("SUCCEEDED", { finishedAt: now });
  return { result: undefined, changes };
}
