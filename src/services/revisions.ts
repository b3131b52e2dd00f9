/**
 * Revision counters that tell every process's in-memory caches when to reload.
 */
import type { Db } from "../db/client.js";
import type { Prisma } from "../generated/prisma/client.js";

type Tx = Prisma.TransactionClient;

export const WORKFLOWS_REVISION = "workflows";

/** Bumps a counter inside the writer's transaction, so readers see it with the change. */
export async function bumpRevision(tx: Tx, key: string): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO "Revision" (key, value) VALUES (${key}, 1)
    ON CONFLICT (key) DO UPDATE SET value = "Revision".value + 1`;
}

export async function readRevision(db: Db | Tx, key: string): Promise<bigint> {
  const row = await db.revision.findUnique({ where: { key } });
  return row?.value ?? 0n;
}
