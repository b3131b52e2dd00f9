/**
 * Waiting in line for capacity, the third kind of wait: an execution of a
 * workflow with flow control has a `CapacityWait` row while its PENDING steps
 * may not run (they have no job) and no slot (`FlowSlot`) while it waits.
 * It enters the line when it is created (start-executions.ts), and again when
 * it has been waiting (every open step WAITING, so it gave its slots back)
 * and a wait ends, or when a failed execution is retried. Admission
 * (admit-executions.ts) ends the wait: it deletes the row, grants the slots
 * and enqueues the steps' jobs, in one transaction.
 */
import type { SqlDb } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";
import type { Tx } from "./execution-lock.js";

/**
 * Puts the execution (whose lock `tx` holds) back in line, ahead of new executions (`resuming`),
 * giving up the slots it still has on record. False when it has no flow-control row (it started
 * before its version had any): then it runs without waiting.
 */
export async function queueForCapacity(tx: Tx, executionId: string): Promise<boolean> {
  const [row] = await tx.query<{ inLine: boolean }>(Prisma.sql`
    WITH given_up AS (DELETE FROM "FlowSlot" WHERE "executionId" = ${executionId}),
    queued AS (
      INSERT INTO "CapacityWait" ("executionId", "workflowId", resuming, priority)
      SELECT "executionId", "workflowId", TRUE, priority FROM "ExecutionFlow" WHERE "executionId" = ${executionId}
      ON CONFLICT ("executionId") DO NOTHING
    )
    SELECT EXISTS (SELECT 1 FROM "ExecutionFlow" WHERE "executionId" = ${executionId}) AS "inLine"`);
  return row?.inLine ?? false;
}

/**
 * Whether the steps a wake creates must wait for capacity: yes when the execution holds no slot
 * (no other step is PENDING or RUNNING: it gave its slots back while it waited) or is in line
 * already; it is then (back) in line. `rows`: its steps as the waking transaction sees them.
 */
export async function mustWaitForCapacity(
  tx: Tx,
  executionId: string,
  rows: readonly { status: string }[],
): Promise<boolean> {
  const holding = rows.some((row) => row.status === "PENDING" || row.status === "RUNNING");
  if (holding) {
    const [row] = await tx.query<{ queued: boolean }>(Prisma.sql`
      SELECT EXISTS (SELECT 1 FROM "CapacityWait" WHERE "executionId" = ${executionId}) AS queued`);
    if (!row?.queued) return false;
  }
  return queueForCapacity(tx, executionId);
}

/** Workflows with executions in line for capacity (for the reconciler). */
export async function workflowsInLine(sql: SqlDb): Promise<string[]> {
  const rows = await sql.query<{ workflowId: string }>(Prisma.sql`SELECT DISTINCT "workflowId" FROM "CapacityWait"`);
  return rows.map((row) => row.workflowId);
}
