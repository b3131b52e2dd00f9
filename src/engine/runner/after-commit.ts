import type { ChangePublisher, EngineLogger, StepQueue } from "../ports.js";
import type { ChangeSet } from "../store/change-set.js";

export interface AfterCommitDeps {
  queue: StepQueue;
  publisher: ChangePublisher;
  logger: EngineLogger;
  /** Admission for workflows with flow control (runner/admissions.ts); without it, the reconciler admits. */
  admissions?: { noticeChanges(changeSets: readonly ChangeSet[]): void };
}

/**
 * Enqueue and publish only after the transaction committed. If either fails
 * (Redis down), nothing is lost: the reconciler finds the work in PostgreSQL,
 * and subscribers replay missed changes by seq.
 */
export async function afterCommit(deps: AfterCommitDeps, changeSets: readonly ChangeSet[]): Promise<void> {
  deps.admissions?.noticeChanges(changeSets);
  const jobs = changeSets.flatMap((c) => c.jobs);
  const changes = changeSets.flatMap((c) => c.changes);
  // Independent of each other (subscribers do not wait for jobs), so both are in flight at once.
  await Promise.all([
    jobs.length > 0 &&
      deps.queue.enqueue(jobs).catch((error: unknown) => {
        deps.logger.error(
          { err: error, steps: jobs.map((j) => j.stepId) },
          "enqueue failed; the reconciler will pick the steps up",
        );
      }),
    changes.length > 0 &&
      deps.publisher.publishChanges(changes).catch((error: unknown) => {
        deps.logger.error({ err: error }, "publishing updates failed");
      }),
  ]);
}
