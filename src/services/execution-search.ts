/**
 * Finding executions for operators: by workflow, status, creation time and what their payload
 * contains (`payload @> <JSON>`, served by the GIN index on Execution.payload). Prisma has no JSON
 * containment filter, so a containment search picks one keyset page of ids in SQL, and the
 * caller's Prisma query reads those rows (with the fields asked for) in the same order.
 */

import { type Problem, ValidationError } from "../errors.js";
import { Prisma } from "../generated/prisma/client.js";
import type { ExecutionStatus } from "../generated/prisma/enums.js";
import type { ServiceDeps } from "./deps.js";

export interface ExecutionSearch {
  workflowId?: string;
  status?: ExecutionStatus;
  /** Created at or after. */
  from?: Date;
  /** Created before. */
  to?: Date;
  /** A JSON object (or array) the payload must contain, as PostgreSQL's `@>` means it. */
  payloadContains?: unknown;
}

/** Refuses a search that cannot mean anything: a containment value that is not an object or a list, an empty window. */
export function checkSearch(search: ExecutionSearch): void {
  const problems: Problem[] = [];
  const contains = search.payloadContains;
  if (contains !== undefined && (contains === null || typeof contains !== "object")) {
    problems.push({
      path: "payloadContains",
      message: 'must be a JSON object or list, e.g. {"customer": {"id": "c-42"}}',
    });
  }
  if (search.from && search.to && search.from >= search.to)
    problems.push({ path: "to", message: "must be after from" });
  if (problems.length > 0) throw new ValidationError(problems);
}

/**
 * One page of a containment search: at most `take` ids (negative: the page before the cursor)
 * from the cursor on, newest first, with the cursor itself, as Prisma's cursor pages read them.
 */
export async function containingPageIds(
  deps: Pick<ServiceDeps, "sql">,
  search: ExecutionSearch,
  page: { cursor?: { createdAt: Date; id: string }; take: number },
): Promise<string[]> {
  const backward = page.take < 0;
  const conditions = [Prisma.sql`payload @> ${JSON.stringify(search.payloadContains)}::jsonb`];
  if (search.workflowId) conditions.push(Prisma.sql`"workflowId" = ${search.workflowId}`);
  if (search.status) conditions.push(Prisma.sql`status = ${search.status}::"ExecutionStatus"`);
  if (search.from) conditions.push(Prisma.sql`"createdAt" >= ${at(search.from)}`);
  if (search.to) conditions.push(Prisma.sql`"createdAt" < ${at(search.to)}`);
  if (page.cursor) {
    const { createdAt, id } = page.cursor;
    conditions.push(
      backward
        ? Prisma.sql`("createdAt", id) >= (${at(createdAt)}, ${id})`
        : Prisma.sql`("createdAt", id) <= (${at(createdAt)}, ${id})`,
    );
  }
  const order = backward ? Prisma.sql`"createdAt" ASC, id ASC` : Prisma.sql`"createdAt" DESC, id DESC`;
  const rows = await deps.sql.query<{ id: string }>(Prisma.sql`
    SELECT id FROM "Execution" WHERE ${Prisma.join(conditions, " AND ")}
    ORDER BY ${order} LIMIT ${Math.abs(page.take) + 1}`);
  return rows.map((r) => r.id);
}

/** A timestamp(3) in UTC, as the columns hold them (whatever the process's time zone). */
function at(date: Date): Prisma.Sql {
  return Prisma.sql`${date.toISOString().replace("T", " ").replace("Z", "")}::timestamp(3)`;
}
