/**
 * Revision counters that tell every process's in-memory caches when to reload.
 */
import type { Prisma } from "../generated/prisma/client.js";

type Tx = Prisma.TransactionClient;

export const WORKFLOWS_REVISION = "workflows";

/** Bumps a counter inside the writer's transaction, so readers see it with the change. */
export async function bumpRevision(tx: Tx, key: string): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO "Revision" (key, value) VALUES (${key}, 1)
    ON CONFLICT (key) DO UPDATE SET value = "Revision".value + 1`;
}
