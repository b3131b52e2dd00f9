/** Rebuilding jobs from PostgreSQL a page at a time: the reconciler's passes and a resumed workflow. */
import type { StepJob, StepQueue } from "../ports.js";

/** Rows read per page when the caller names no size. */
export const ENQUEUE_PAGE = 500;

/**
 * Enqueues a job for every row `read` pages through (in id order, `limit` at a time, each page
 * after the last id of the one before); returns how many.
 */
export async function enqueuePaged<T extends { id: string }>(
  queue: StepQueue,
  read: (page: { afterId: string; limit: number }) => Promise<T[]>,
  job: (row: T) => StepJob,
  limit = ENQUEUE_PAGE,
): Promise<number> {
  let enqueued = 0;
  let afterId = "";
  for (;;) {
    const batch = await read({ afterId, limit });
    if (batch.length === 0) return enqueued;
    await queue.enqueue(batch.map(job));
    enqueued += batch.length;
    afterId = (batch[batch.length - 1] as T).id;
  }
}
