/**
 * Pausing a workflow (services/workflows.ts writes Workflow.pausedAt): what the engine does about it.
 * While paused, no step of its live executions is claimed (claim-step.ts refuses, the statements
 * that would run a successor at once hand it back, and the reconciler leaves those steps alone), so
 * each stops before its next step, holding its state in PostgreSQL. Resuming gives the steps it held
 * their jobs back here.
 */
import type { SqlDb } from "../db/sql.js";
import type { EngineLogger, StepJob, StepQueue } from "./ports.js";
import { enqueuePaged } from "./runner/enqueue-paged.js";
import { readHeldSteps } from "./store/open-steps.js";

/** The generation of the jobs a resume enqueues: new ids, so a refused job still finishing cannot absorb them. */
export const RESUMED_GENERATION_PREFIX = "resumed@";

/**
 * Enqueues a job for every step of `workflowId`'s live executions the pause held (PENDING, or
 * RUNNING with a lease that may run out; those get their job for when it does). Called after the
 * commit that resumed it; what a crash leaves undone the reconciler finds overdue. Returns how many.
 */
export async function enqueueHeldSteps(
  deps: { sql: SqlDb; queue: StepQueue; logger: EngineLogger },
  workflowId: string,
  now: Date,
): Promise<number> {
  const generation = `${RESUMED_GENERATION_PREFIX}${now.getTime()}`;
  const enqueued = await enqueuePaged(
    deps.queue,
    (page) => readHeldSteps(deps.sql, workflowId, page),
    (s): StepJob => ({
      stepId: s.id,
      executionId: s.executionId,
      generation,
      ...(s.resumeAt ? { runAt: s.resumeAt } : {}),
    }),
  );
  deps.logger.info({ workflowId, enqueued }, "workflow resumed: held steps enqueued");
  return enqueued;
}
