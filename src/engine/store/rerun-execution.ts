/**
 * A rerun of a finished execution from one of its nodes: a new execution of the same version and
 * payload whose steps outside that node's reach (neither it nor anything after it) are copied from
 * the original (SUCCEEDED with their input and output, SKIPPED as skipped; a step that failed or
 * was cancelled runs again), and which runs from that node on. Written in one transaction with its
 * link to the original (and to its bulk replay, unique per replay and original), through the start
 * statement, so flow control, cancelOn and deadlines apply as to any new execution.
 */
import type { SqlDb } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";
import type { StepStatus } from "../../generated/prisma/enums.js";
import { reachableFrom } from "../graph.js";
import type { PinnedWorkflow } from "../workflow-cache.js";
import { ChangeSet } from "./change-set.js";
import { type NewExecution, writeExecutionsIn } from "./start-executions.js";

export interface Rerun {
  originalId: string;
  payload: unknown;
  fromNodeId: string;
  /** Node data replacing the version's for the rerun only (its `input` for fromNodeId). */
  dataOverrides: Record<string, unknown> | null;
  /** The bulk replay starting it, if any. */
  replayId?: string;
}

interface OriginalStep {
  nodeId: string;
  type: string;
  status: StepStatus;
  input: unknown;
  output: unknown;
  next: string[];
}

/** Writes the rerun `planned` (planExecution of the original's version); false if its replay reran that execution already. */
export async function writeRerun(
  db: SqlDb,
  workflow: PinnedWorkflow,
  planned: NewExecution,
  rerun: Rerun,
  now: Date,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    if (rerun.replayId) {
      const [done] = await tx.query<{ id: string }>(Prisma.sql`
        SELECT id FROM "Execution" WHERE "replayId" = ${rerun.replayId} AND "rerunOfId" = ${rerun.originalId}`);
      if (done) return false;
    }
    const steps = await tx.query<OriginalStep>(Prisma.sql`
      SELECT "nodeId", type, status::text AS status, input, output, next FROM "Step"
      WHERE "executionId" = ${rerun.originalId} ORDER BY seq`);
    planned.changes = rerunChanges(workflow, planned, steps, rerun.fromNodeId, now);
    await writeExecutionsIn(tx, [{ executions: [planned], payload: rerun.payload }], now);
    await tx.execute(Prisma.sql`
      UPDATE "Execution" SET "rerunOfId" = ${rerun.originalId}, "rerunFromNodeId" = ${rerun.fromNodeId},
        "dataOverrides" = ${rerun.dataOverrides === null ? null : JSON.stringify(rerun.dataOverrides)}::jsonb,
        "replayId" = ${rerun.replayId ?? null}
      WHERE id = ${planned.id}`);
    return true;
  });
}

/** The rerun's first changes: created, the copied steps, and the steps to run (with jobs unless it waits in line). */
function rerunChanges(
  workflow: PinnedWorkflow,
  planned: NewExecution,
  steps: readonly OriginalStep[],
  fromNodeId: string,
  now: Date,
): ChangeSet {
  const changes = new ChangeSet({
    id: planned.id,
    workflowId: workflow.workflowId,
    workflowVersion: workflow.version,
    status: "PENDING",
    seq: 0,
  });
  changes.executionCreated();
  const again = reachableFrom(workflow.index, fromNodeId);
  const toRun: { nodeId: string; type: string }[] = [];
  for (const step of steps) {
    if (again.has(step.nodeId)) continue;
    const { nodeId, type } = step;
    if (step.status === "SUCCEEDED") {
      const ran = { input: step.input, output: step.output, next: step.next };
      changes.createRanStep({ nodeId, type, ran, notifications: [] }, now);
    } else if (step.status === "SKIPPED") {
      changes.createStep({ nodeId, type, status: "SKIPPED", finishedAt: now });
    } else {
      toRun.push({ nodeId, type }); // failed or cancelled with the original: it runs again
    }
  }
  toRun.push({ nodeId: fromNodeId, type: workflow.index.node(fromNodeId)?.type ?? "unknown" });
  for (const { nodeId, type } of toRun) {
    const step = changes.createStep({ nodeId, type, status: "PENDING" });
    // In line for capacity: admission enqueues its PENDING steps once it is let in.
    if (!planned.flow) changes.enqueue({ stepId: step.id, executionId: planned.id, generation: "1" });
  }
  if (planned.flow) changes.admits = true;
  return changes;
}

/** The node of an execution's first failed step (a failed execution reruns from there); undefined if none. */
export async function failedNodeOf(sql: SqlDb, executionId: string): Promise<string | undefined> {
  const [row] = await sql.query<{ nodeId: string }>(Prisma.sql`
    SELECT "nodeId" FROM "Step" WHERE "executionId" = ${executionId} AND status = 'FAILED' ORDER BY seq LIMIT 1`);
  return row?.nodeId;
}
