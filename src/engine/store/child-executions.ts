/**
 * The rows of child executions (started by a call_workflow or for_each step): writing them linked
 * to the step that started them, reading them back, and cancelling them with their parent. Every
 * function runs in the parent's locked transaction; a child is locked only after its parent (never
 * the other way round: a child's end wakes its parent through a job, see runner/after-commit.ts),
 * so the two cannot deadlock.
 */
import { Prisma } from "../../generated/prisma/client.js";
import type { ExecutionStatus } from "../../generated/prisma/enums.js";
import type { ChangeSet } from "./change-set.js";
import type { Tx } from "./execution-lock.js";
import { type NewExecution, writeExecutionsIn } from "./start-executions.js";

/** Where children come from: the parent step, and how deep in nested calls they run. */
export interface ChildLink {
  parentExecutionId: string;
  parentStepId: string;
  /** The children's depth: their parent's plus one. */
  callDepth: number;
}

export interface PlannedChild {
  index: number;
  payload: unknown;
  planned: NewExecution;
}

/**
 * Writes children with the start statement, then links them to their parent step. The unique
 * (parentStepId, childIndex) index is the last guard against starting one item twice.
 */
export async function writeChildren(
  tx: Tx,
  parent: ChangeSet,
  children: readonly PlannedChild[],
  link: ChildLink,
  now: Date,
): Promise<void> {
  if (children.length === 0) return;
  for (const { planned } of children) {
    // So the child's own change sets know whom to wake when it ends (runner/after-commit.ts).
    Object.assign(planned.changes.execution, {
      parentExecutionId: link.parentExecutionId,
      parentStepId: link.parentStepId,
    });
  }
  const groups = children.map((c) => ({ executions: [c.planned], payload: c.payload }));
  await writeExecutionsIn(tx, groups, now, { hint: true });
  const links = children.map((c) => ({ id: c.planned.id, child_index: c.index }));
  await tx.execute(Prisma.sql`
    UPDATE "Execution" e
    SET "parentExecutionId" = ${link.parentExecutionId}, "parentStepId" = ${link.parentStepId},
        "childIndex" = x.child_index, "callDepth" = ${link.callDepth}::int
    FROM jsonb_to_recordset(${JSON.stringify(links)}::jsonb) AS x(id text, child_index int)
    WHERE e.id = x.id`);
  parent.others.push(...children.map((c) => c.planned.changes));
}

export interface ChildRow {
  id: string;
  childIndex: number;
  status: ExecutionStatus;
  error: string | null;
}

/** The children a step started, in index order. */
export function readChildren(tx: Tx, parentStepId: string): Promise<ChildRow[]> {
  return tx.query<ChildRow>(Prisma.sql`
    SELECT id, "childIndex", status::text AS status, error FROM "Execution"
    WHERE "parentStepId" = ${parentStepId} ORDER BY "childIndex"`);
}

/**
 * Unlinks a step's earlier children before it runs again (a retried execution): those that did
 * not succeed, or all of them. They stay the parent's children (parentExecutionId), for history.
 */
export async function detachChildren(tx: Tx, parentStepId: string, { keepSucceeded }: { keepSucceeded: boolean }) {
  await tx.execute(Prisma.sql`
    UPDATE "Execution" SET "parentStepId" = NULL, "childIndex" = NULL
    WHERE "parentStepId" = ${parentStepId}
      ${keepSucceeded ? Prisma.sql`AND status <> 'SUCCEEDED'` : Prisma.empty}`);
}

/**
 * What each child returned: the outputs of its last steps (those that succeeded and led nowhere
 * further), by node id.
 */
export async function childOutputs(tx: Tx, ids: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.query<{ executionId: string; outputs: Record<string, unknown> }>(Prisma.sql`
    SELECT "executionId", jsonb_object_agg("nodeId", COALESCE(output, 'null'::jsonb)) AS outputs
    FROM "Step"
    WHERE "executionId" = ANY(${[...ids]}::text[]) AND status = 'SUCCEEDED' AND cardinality(next) = 0
    GROUP BY "executionId"`);
  return new Map(rows.map((r) => [r.executionId, r.outputs]));
}

/** Child steps waiting for children that ended before `cutoff` without their parent counting them (a lost wake). */
export function batchesToSettle(
  sql: { query: Tx["query"] },
  cutoff: Date,
  limit: number,
): Promise<{ stepId: string; executionId: string }[]> {
  return sql.query(Prisma.sql`
    SELECT b."stepId", b."executionId" FROM "ChildBatch" b
    WHERE b.settled < (
      SELECT count(*) FROM "Execution" c
      WHERE c."parentStepId" = b."stepId" AND c.status NOT IN ('PENDING', 'RUNNING') AND c."finishedAt" < ${cutoff})
    LIMIT ${limit}`);
}
