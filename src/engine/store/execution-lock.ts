/**
 * Every state change of an execution that cannot be one statement happens in
 * one transaction that first locks the execution row. That serialises the
 * changes of one execution (so two paths finishing at once cannot both miss
 * that a join became ready), and it is where each change gets the next
 * per-execution sequence number. The single statements (claim-step.ts,
 * finish-step.ts) take the same lock first, so they serialise the same way.
 */
import type { SqlDb, SqlRunner } from "../../db/sql.js";
import { NotFoundError } from "../../errors.js";
import { Prisma } from "../../generated/prisma/client.js";
import { WORKFLOW_PAUSED_COLUMN } from "./batched-locks.js";
import { ChangeSet, type LockedExecution } from "./change-set.js";
import { persistChangeSet } from "./change-set-sql.js";

/** The transaction an execution's changes run in. */
export type Tx = SqlRunner;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LOCK_SELECT = `SELECT id, "workflowId", "workflowVersion", status::text AS status, seq, "parentExecutionId",
  "parentStepId", "wakesScheduleId", ${WORKFLOW_PAUSED_COLUMN} FROM "Execution"`;

/**
 * Runs `work` in a transaction holding the execution's lock, with a change set
 * numbered from the seq the lock read, and writes what it collected before
 * the commit. Throws NotFoundError when the execution does not exist.
 */
export async function inExecutionTransaction<T>(
  db: SqlDb,
  executionId: string,
  work: (tx: Tx, changes: ChangeSet) => Promise<T>,
): Promise<{ result: T; changes: ChangeSet }> {
  // Execution ids are UUIDs: such an id may be written into the statement that opens the
  // transaction (saving a round trip per transition); anything else is only ever a parameter.
  const opening = UUID.test(executionId)
    ? { text: `${LOCK_SELECT} WHERE id = '${executionId}' FOR UPDATE` }
    : undefined;
  return db.transaction(async (tx, opened) => {
    const [execution] = opening
      ? (opened as LockedExecution[])
      : await tx.query<LockedExecution>(Prisma.sql`${Prisma.raw(LOCK_SELECT)} WHERE id = ${executionId} FOR UPDATE`);
    if (!execution) throw new NotFoundError("Execution", executionId);
    const startSeq = execution.seq;
    const changes = new ChangeSet(execution);
    const result = await work(tx, changes);
    if (execution.seq !== startSeq) await persistChangeSet(tx, changes);
    return { result, changes };
  }, opening);
}

/**
 * Locks another execution inside a transaction that is already open (admission cancels or refuses
 * executions while it holds its workflow's lock); the caller writes the set with persistChangeSet.
 * Undefined when the execution is gone.
 */
export async function lockExecutionIn(tx: Tx, executionId: string): Promise<ChangeSet | undefined> {
  const [execution] = await tx.query<LockedExecution>(
    Prisma.sql`${Prisma.raw(LOCK_SELECT)} WHERE id = ${executionId} FOR UPDATE`,
  );
  return execution ? new ChangeSet(execution) : undefined;
}
