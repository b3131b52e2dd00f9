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
import { storedFlowControl } from "../flow-control.js";
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
      INSERT INTO "CapacityWait" ("executionId", "workflowId", resuming, priority, "fairKey")
      SELECT "executionId", "workflowId", TRUE, priority, "fairKey" FROM "ExecutionFlow" WHERE "executionId" = ${executionId}
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

/** Workflows with executions in line for capacity or open debounce windows (for the reconciler). */
export async function workflowsInLine(sql: SqlDb): Promise<string[]> {
  const rows = await sql.query<{ workflowId: string }>(Prisma.sql`
    SELECT DISTINCT "workflowId" FROM "CapacityWait" UNION SELECT DISTINCT "workflowId" FROM "DebounceEvent"`);
  return rows.map((row) => row.workflowId);
}

/** Why an execution waits in line for capacity: the limit it meets, its key, the slots in use, its place. */
export interface CapacityWaitExplained {
  /** "concurrency", "rate_limit", or "line" (a limit has room: admission is letting it in). */
  kind: "concurrency" | "rate_limit" | "line";
  limit: number | null;
  key: string | null;
  /** Slots held (concurrency) or starts in the current period (rate limit). */
  inUse: number | null;
  /** 1 = next in its line (executions with the same keys), counting resuming and higher priority first. */
  position: number;
  message: string;
}

/** Undefined when the execution is not in line. */
export async function explainCapacityWait(sql: SqlDb, executionId: string): Promise<CapacityWaitExplained | undefined> {
  const [row] = await sql.query<{
    workflowId: string;
    flowControl: unknown;
    concurrencyKeys: string[];
    rateKey: string | null;
    position: number;
  }>(Prisma.sql`
    SELECT c."workflowId", w."flowControl", f."concurrencyKeys", f."rateKey",
      (SELECT count(*)::int FROM "CapacityWait" o
       WHERE o."workflowId" = c."workflowId" AND o."fairKey" = c."fairKey"
         AND (o.resuming, o.priority, -o.seq) >= (c.resuming, c.priority, -c.seq)) AS position
    FROM "CapacityWait" c JOIN "ExecutionFlow" f ON f."executionId" = c."executionId"
    JOIN "Workflow" w ON w.id = c."workflowId"
    WHERE c."executionId" = ${executionId}`);
  if (!row) return undefined;
  const flow = storedFlowControl(row.flowControl);
  const place = `position ${row.position} in line`;
  for (const [entry, limit] of (flow?.concurrency ?? []).entries()) {
    const key = row.concurrencyKeys[entry] ?? "";
    const inUse = await slotsInUse(sql, row.workflowId, entry, key);
    if (inUse < limit.limit) continue;
    const named = limit.key === null ? "" : ` for key ${JSON.stringify(key)}`;
    return {
      kind: "concurrency",
      limit: limit.limit,
      key: limit.key === null ? null : key,
      inUse,
      position: row.position,
      message: `concurrency limit ${limit.limit}${named}: ${inUse} running; ${place}`,
    };
  }
  const rate = flow?.rateLimit;
  if (rate) {
    const inUse = await startsInPeriod(sql, row.workflowId, row.rateKey ?? "", rate.periodMs);
    if (inUse >= rate.limit) {
      const named = rate.key === null ? "" : ` for key ${JSON.stringify(row.rateKey ?? "")}`;
      return {
        kind: "rate_limit",
        limit: rate.limit,
        key: rate.key === null ? null : (row.rateKey ?? ""),
        inUse,
        position: row.position,
        message: `rate limit ${rate.limit} per ${rate.periodMs} ms${named}: ${inUse} started this period; ${place}`,
      };
    }
  }
  return {
    kind: "line",
    limit: null,
    key: null,
    inUse: null,
    position: row.position,
    message: `being let in; ${place}`,
  };
}

/**
 * The one definition of a slot that counts, for a "FlowSlot" row aliased `s`: its execution is live
 * and has a step PENDING or RUNNING (derived, never counted, so it cannot leak).
 */
export const SLOT_COUNTS = Prisma.sql`EXISTS (
  SELECT 1 FROM "Execution" x JOIN "Step" st ON st."executionId" = x.id
  WHERE x.id = s."executionId" AND x.status IN ('PENDING', 'RUNNING') AND st.status IN ('PENDING', 'RUNNING'))`;

/** Slots of (entry, key) that count: their execution has a step PENDING or RUNNING. */
export async function slotsInUse(sql: SqlDb, workflowId: string, entry: number, key: string): Promise<number> {
  const [held] = await sql.query<{ count: number }>(Prisma.sql`
    SELECT count(*)::int AS count FROM "FlowSlot" s WHERE s."workflowId" = ${workflowId} AND s.entry = ${entry}
      AND s.key = ${key} AND ${SLOT_COUNTS}`);
  return held?.count ?? 0;
}

/** Executions started under the rate limit's key in the last period. */
export async function startsInPeriod(sql: SqlDb, workflowId: string, key: string, periodMs: number): Promise<number> {
  const [starts] = await sql.query<{ count: number }>(Prisma.sql`
    SELECT count(*)::int AS count FROM "FlowStart" WHERE "workflowId" = ${workflowId}
      AND key = ${key} AND "startedAt" > ${new Date(Date.now() - periodMs)}`);
  return starts?.count ?? 0;
}

/** Executions in line and slots counting, per workflow (for /metrics). */
export function capacityByWorkflow(sql: SqlDb): Promise<{ workflowId: string; waiting: number; slots: number }[]> {
  return sql.query(Prisma.sql`
    SELECT w."workflowId",
      (SELECT count(*)::int FROM "CapacityWait" c WHERE c."workflowId" = w."workflowId") AS waiting,
      (SELECT count(*)::int FROM "FlowSlot" s WHERE s."workflowId" = w."workflowId" AND ${SLOT_COUNTS}) AS slots
    FROM (SELECT "workflowId" FROM "CapacityWait" UNION SELECT "workflowId" FROM "FlowSlot") w`);
}
