/** Reads workflow versions for the engine (a pinned version never changes once written). */
import type { SqlDb } from "../../db/sql.js";
import { NotFoundError } from "../../errors.js";
import { Prisma } from "../../generated/prisma/client.js";

/**
 * The name and graph of one version. Plain SQL (src/db/sql.ts): a worker then
 * never needs the Prisma client, nor its memory. NotFoundError if it is gone.
 */
export async function readWorkflowVersion(
  sql: SqlDb,
  workflowId: string,
  version: number,
): Promise<{ name: string; graph: unknown }> {
  const [row] = await sql.query<{ name: string; graph: unknown }>(Prisma.sql`
    SELECT name, graph FROM "WorkflowVersion" WHERE "workflowId" = ${workflowId} AND version = ${version}`);
  if (!row) throw new NotFoundError("Workflow", `${workflowId}@${version}`);
  return row;
}

/** The current version of a workflow that is not deleted; undefined if there is none. */
export async function currentWorkflowVersion(sql: SqlDb, workflowId: string): Promise<number | undefined> {
  const [row] = await sql.query<{ version: number }>(Prisma.sql`
    SELECT version FROM "Workflow" WHERE id = ${workflowId} AND "deletedAt" IS NULL`);
  return row?.version;
}
