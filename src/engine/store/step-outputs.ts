/** The outputs of an execution's succeeded steps, for templates and conditions that read them. */
import type { SqlDb } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";

/** Each succeeded step's output, by node id. */
export async function readStepOutputs(sql: SqlDb, executionId: string): Promise<Record<string, { output: unknown }>> {
  const rows = await sql.query<{ nodeId: string; output: unknown }>(Prisma.sql`
    SELECT "nodeId", output FROM "Step" WHERE "executionId" = ${executionId} AND status = 'SUCCEEDED'`);
  return Object.fromEntries(rows.map((s) => [s.nodeId, { output: s.output }]));
}
