/** Reads workflow versions for the engine (a pinned version never changes once written). */
import type { SqlDb } from "../../db/sql.js";
import { NotFoundError } from "../../errors.js";
import { Prisma } from "../../generated/prisma/client.js";

interface VersionRow {
  name: string;
  graph: unknown;
  cancelOn: unknown;
  timeoutMs: number | null;
  flowControl: unknown;
}

/**
 * The name, graph, cancelOn and timeout of one version. Plain SQL (src/db/sql.ts): a worker then
 * never needs the Prisma client, nor its memory. NotFoundError if it is gone.
 */
export async function readWorkflowVersion(sql: SqlDb, workflowId: string, version: number): Promise<VersionRow> {
  const [row] = await sql.query<VersionRow>(Prisma.sql`
    SELECT name, graph, "cancelOn", "timeoutMs", "flowControl" FROM "WorkflowVersion" WHERE "workflowId" = ${workflowId} AND version = ${version}`);
  if (!row) throw new NotFoundError("Workflow", `${workflowId}@${version}`);
  return row;
}

/** The current version of a workflow that is not deleted; undefined if there is none. */
export async function currentWorkflowVersion(sql: SqlDb, workflowId: string): Promise<number | undefined> {
  const [row] = await sql.query<{ version: number }>(Prisma.sql`
    SELECT version FROM "Workflow" WHERE id = ${workflowId} AND "deletedAt" IS NULL`);
  return row?.version;
}

/** The workflow version an execution is pinned to (it never changes); undefined if the execution is gone. */
export async function readPinnedVersion(
  sql: SqlDb,
  executionId: string,
): Promise<{ workflowId: string; workflowVersion: number } | undefined> {
  const [row] = await sql.query<{ workflowId: string; workflowVersion: number }>(Prisma.sql`
    SELECT "workflowId", "workflowVersion" FROM "Execution" WHERE id = ${executionId}`);
  return row;
}
