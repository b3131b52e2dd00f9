/**
 * The conditional update that releases a step its caller holds (RUNNING, the
 * caller's attempt), shared by the locked transaction (transitions.ts) and the
 * single statements (single-statement.ts, last-step.ts).
 */
import { Prisma } from "../../generated/prisma/client.js";
import type { Finish } from "./transitions.js";

export type HeldStatus = "SUCCEEDED" | "WAITING" | "PENDING" | "FAILED";

/** Column changes besides status, input, output and the lease. */
export interface ReleaseFields {
  next?: readonly string[];
  error?: string | null;
  finishedAt?: Date;
  resumeAt?: Date;
}

/** A Json column's parameter: JSON text, or SQL NULL for undefined. */
export function jsonParam(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** UPDATE of the step to `status`, recording input and output and ending the lease, if the caller still holds it. */
export function releaseSql(finish: Finish, status: HeldStatus, fields: ReleaseFields): Prisma.Sql {
  const sets = [
    Prisma.sql`status = ${status}::"StepStatus"`,
    Prisma.sql`input = ${jsonParam(finish.input)}::jsonb`,
    Prisma.sql`output = ${jsonParam(finish.output)}::jsonb`,
    Prisma.sql`"leaseUntil" = NULL`,
  ];
  if (fields.next !== undefined) sets.push(Prisma.sql`next = ${[...fields.next]}::text[]`);
  if (fields.error !== undefined) sets.push(Prisma.sql`error = ${fields.error}`);
  if (fields.finishedAt !== undefined) sets.push(Prisma.sql`"finishedAt" = ${fields.finishedAt}`);
  if (fields.resumeAt !== undefined) sets.push(Prisma.sql`"resumeAt" = ${fields.resumeAt}`);
  return Prisma.sql`UPDATE "Step" SET ${Prisma.join(sets)}
    WHERE id = ${finish.step.stepId} AND status = 'RUNNING' AND attempt = ${finish.attempt}`;
}
