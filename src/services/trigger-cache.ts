/**
 * The compiled triggers of all active workflows, kept in memory, with the
 * workflows revision they were loaded at. `match` reads the revision first (one
 * primary-key lookup) and recompiles when another process (or this one)
 * changed a workflow; `matchLoaded` uses what is loaded, for callers that check
 * the revision in the statement they write with (events).
 */
import type { Db } from "../db/client.js";
import type { SqlDb } from "../db/sql.js";
import { readRevision, TriggerIndex, type TriggerMatch, WORKFLOWS_REVISION } from "../engine/index.js";

/** A match and the workflows revision of the triggers it used. */
export type RevisionMatch = TriggerMatch & { revision: bigint };

export class TriggerCache {
  private readonly index = new TriggerIndex();
  private loadedRevision: bigint | undefined;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly sql: SqlDb,
  ) {}

  /**
   * Matches against the current workflows, reading the revision first (and
   * reloading if it moved). Matching gives the event loop a turn every few
   * milliseconds (TriggerIndex.matchInSlices), so slow triggers never hold it.
   */
  async match(event: unknown): Promise<RevisionMatch> {
    const revision = await this.ensureFresh();
    return { ...(await this.index.matchInSlices(event)), revision };
  }

  /**
   * Matches against what is loaded, without asking the database; undefined
   * before the first load. The caller checks `revision` when it writes (see
   * writeEvent), and matches again with `match` if it moved.
   */
  async matchLoaded(event: unknown): Promise<RevisionMatch | undefined> {
    const revision = this.loadedRevision;
    if (revision === undefined || this.loading) return undefined;
    return { ...(await this.index.matchInSlices(event)), revision };
  }

  /** Reloads the index if the workflows revision moved; returns the revision the index holds. */
  private async ensureFresh(): Promise<bigint> {
    const revision = await readRevision(this.sql, WORKFLOWS_REVISION);
    if (revision === this.loadedRevision) return revision;
    // Concurrent events share one reload.
    this.loading ??= this.reload(revision).finally(() => {
      this.loading = undefined;
    });
    await this.loading;
    // The revision the index holds: a reload already under way may have started from an older one
    // (its rows are at least that new), so a writer checking it matches again rather than trusting it.
    return this.loadedRevision ?? revision;
  }

  private async reload(revision: bigint): Promise<void> {
    const rows = await this.db.workflow.findMany({
      where: { isActive: true, deletedAt: null, pausedAt: null },
      select: { id: true, version: true, trigger: true },
      // Matches are reported in this order, so executions start oldest workflow first.
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
    this.index.reset(rows.map((r) => ({ workflowId: r.id, version: r.version, trigger: r.trigger })));
    this.loadedRevision = revision;
  }
}
