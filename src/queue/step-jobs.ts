/**
 * The job catalog: one job name, an ids payload (with a new execution's
 * entry hint), and the options every step job gets. Only src/queue/ knows BullMQ.
 */
import type { JobsOptions } from "bullmq";
import type { EntryHint, StepJob } from "../engine/index.js";
import { stepJobId } from "./step-ids.js";

export const STEP_JOB_NAME = "step";

export interface StepJobData {
  stepId: string;
  executionId: string;
  generation: string;
  entry?: EntryHint;
}

export function stepJobOptions(job: StepJob, now = Date.now()): JobsOptions {
  return {
    jobId: stepJobId(job),
    delay: job.runAt ? Math.max(0, job.runAt.getTime() - now) : undefined,
    // PostgreSQL holds the state; a finished job is only a spent message. Removing
    // it at once also lets the reconciler re-add the same job id if ever needed.
    removeOnComplete: true,
    removeOnFail: true,
    // Retries of the job itself, for infrastructure errors (database briefly down);
    // step retries are the runner's business and are recorded on the step.
    attempts: 8,
    backoff: { type: "exponential", delay: 500 },
  };
}

export function toJobData(job: StepJob): StepJobData {
  const { stepId, executionId, generation, entry } = job;
  return entry ? { stepId, executionId, generation, entry } : { stepId, executionId, generation };
}
