/**
 * A subscription delivers the change it was sent: the status and seq the
 * change announced, laid over the row re-read for the other fields a client
 * selects. The row alone is the record as it is when the event is resolved,
 * possibly several changes later: a fast execution's PENDING and RUNNING both
 * read as RUNNING (or SUCCEEDED), one state twice and another never.
 */
import type { ExecutionStatus, StepStatus } from "../../generated/prisma/enums.js";

/** The state a change announced. */
export interface Announced<S extends string> {
  status: S;
  seq: number;
}

/** The execution row with the status and seq of the change being delivered. */
export function announcedExecution<T extends object>(
  row: T,
  change: Announced<ExecutionStatus>,
): T & Announced<ExecutionStatus> {
  return { ...row, status: change.status, seq: change.seq };
}

/**
 * Step.seq of a step delivered by a subscription: the seq of its change. (The
 * row's own seq column is the step's creation, which orders steps; it keeps
 * that meaning, so the announced seq is kept beside the row, not in it.)
 */
const announcedStepSeqs = new WeakMap<object, number>();

/** The step row with the status of the change being delivered; its Step.seq is the change's. */
export function announcedStep<T extends object>(row: T, change: Announced<StepStatus>): T & { status: StepStatus } {
  const step = { ...row, status: change.status };
  announcedStepSeqs.set(step, change.seq);
  return step;
}

/** The seq of the change a subscription delivered this step for, if it did. */
export function announcedStepSeq(step: object): number | undefined {
  return announcedStepSeqs.get(step);
}
