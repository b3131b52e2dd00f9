import type { StepJob } from "../engine/index.js";

/** A step id plus which run of it: the same run enqueued twice is one job, in every queue adapter. */
export function stepJobId(job: Pick<StepJob, "stepId" | "generation">): string {
  return `${job.stepId}-${job.generation}`;
}
