/**
 * Revision counters that tell every process's in-memory caches when to reload.
 */
import type { SqlDb } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";

type Tx = Prisma.TransactionClient;

export const WORKFLOWS_REVISION = "workflows";

/** Bumps a counter inside the writer's transaction, so readers see it with the change. */
export async function bumpRevision(tx: Tx, key: string): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO "Revision" (key, value) VALUES (${key}, 1)
    ON CONFLICT (key) DO UPDATE SET value = "Revision".value + 1`;
}

/** A counter's value (0 before its first bump). Plain SQL, not a Prisma query (see src/db/sql.ts). */
export async function readRevision(sql: SqlDb, key: string): Promise<bigint> {
  const [row] = await sql.query<{ value: bigint | string | number }>(
    Prisma.sql`SELECT value FROM "Revision" WHERE key = ${key}`,
  );
  return BigInt(row?.value ?? 0);
}
