/**
 * The compiled triggers of all active workflows, kept in memory. Before each
 * match it reads the workflows revision (one primary-key lookup); when another
 * process (or this one) changed a workflow, it recompiles from the database.
 */
import type { Db } from "../db/client.js";
import { TriggerIndex, type TriggerMatch } from "../engine/triggers.js";
import { readRevision, WORKFLOWS_REVISION } from "./revisions.js";

export class TriggerCache {
  private readonly index = new TriggerIndex();
  private loadedRevision: bigint | undefined;
  private loading: Promise<void> | undefined;

  constructor(private readonly db: Db) {}

  async match(event: unknown): Promise<TriggerMatch> {
    await this.ensureFresh();
    return this.index.match(event);
  }

  private async ensureFresh(): Promise<void> {
    const revision = await readRevision(this.db, WORKFLOWS_REVISION);
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
    });
    this.index.reset(rows.map((r) => ({ workflowId: r.id, version: r.version, trigger: r.trigger })));
    this.loadedRevision = revision;
  }
}
