/**
 * The compiled triggers of all active workflows, kept in memory. Before each
 * match it reads the workflows revision (one primary-key lookup); when another
 * process (or this one) changed a workflow, it recompiles from the database.
 */
import type { Db } from "../db/client.js";
import type { SqlDb } from "../db/sql.js";
import { TriggerIndex, type TriggerMatch } from "../engine/triggers.js";
import { Prisma } from "../generated/prisma/client.js";
import { WORKFLOWS_REVISION } from "./revisions.js";

export class TriggerCache {
  private readonly index = new TriggerIndex();
  private loadedRevision: bigint | undefined;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly sql: SqlDb,
  ) {}

  async match(event: unknown): Promise<TriggerMatch> {
    await this.ensureFresh();
    return this.index.match(event);
  }

  private async ensureFresh(): Promise<void> {
    // Once per event: plain SQL, not a Prisma query (see src/db/sql.ts).
    const [row] = await this.sql.query<{ value: bigint | string | number }>(
      Prisma.sql`SELECT value FROM "Revision" WHERE key = ${WORKFLOWS_REVISION}`,
    );
    const revision = BigInt(row?.value ?? 0);
    if (revision === this.loadedRevision) return;
    // Concurrent events share one reload.
    this.loading ??= this.reload(revision).finally(() => {
      this.loading = undefined;
    });
    await this.loading;
  }

  private async reload(revision: bigint): Promise<void> {
    const rows = await this.db.workflow.findMany({
      where: { isActive: true, deletedAt: null },
      select: { id: true, version: true, trigger: true },
      // Matches are reported in this order, so executions start oldest workflow first.
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
    this.index.reset(rows.map((r) => ({ workflowId: r.id, version: r.version, trigger: r.trigger })));
    this.loadedRevision = revision;
  }
}
