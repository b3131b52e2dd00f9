/**
 * Bulk replays: every execution of a workflow matching a filter is rerun (reruns.ts), failed ones
 * from their failed step (with `fromFailedStep`), the others from the start. The work runs as a
 * chain of queue jobs, a batch each, throttled to `ratePerSecond`; each batch holds the replay's
 * lease, so two never run at once, and resumes after the replay's cursor. Reruns are unique per
 * (replay, execution): a batch redone after a crash, or the same replay run twice, reruns nothing
 * twice. A replay whose job was lost is picked up by the reconciler (stalledReplays).
 */
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import { type Execution, Prisma, type Replay } from "../generated/prisma/client.js";
import type { ExecutionDeps } from "./executions.js";
import { findEntryNode } from "./graph.js";
import { type StepJob, timedJob } from "./ports.js";
import { rerunExecution } from "./reruns.js";
import { FINAL_EXECUTION } from "./store/change-set.js";
import * as store from "./store/replays.js";
import { failedNodeOf } from "./store/rerun-execution.js";
import { currentWorkflowVersion } from "./store/workflow-version.js";

export type { ReplayFilter } from "./store/replays.js";

/** The generation of a replay's batch job: both its ids are the replay's, then the time it is due. */
export const REPLAY_GENERATION_PREFIX = "replay@";
/** Reruns per second a replay starts unless REPLAY_RATE_PER_SECOND says otherwise. */
export const DEFAULT_REPLAY_RATE = 50;
/** Executions one batch reruns. */
export const REPLAY_BATCH = 20;
/** How long one batch may hold the replay before another worker may take it. */
const REPLAY_LEASE_MS = 60_000;

export function replayJob(replayId: string, at: Date): StepJob {
  return timedJob(REPLAY_GENERATION_PREFIX, replayId, at);
}

/** Refuses what a replay cannot run: a missing workflow, a filter on unfinished executions, an empty window. */
async function checkFilter(deps: ExecutionDeps, filter: store.ReplayFilter): Promise<void> {
  if (!filter.workflowId) throw new ValidationError([{ path: "filter.workflowId", message: "required" }]);
  if ((await currentWorkflowVersion(deps.sql, filter.workflowId)) === undefined) {
    throw new NotFoundError("Workflow", filter.workflowId);
  }
  const problems = [];
  if (filter.status && !FINAL_EXECUTION.has(filter.status)) {
    problems.push({ path: "filter.status", message: `only finished executions can be rerun; got ${filter.status}` });
  }
  if (filter.from && filter.to && filter.from >= filter.to) {
    problems.push({ path: "filter.to", message: "must be after filter.from" });
  }
  if (problems.length > 0) throw new ValidationError(problems);
}

/** How many executions a replay of `filter` would rerun now (nothing runs). */
export async function previewReplay(deps: ExecutionDeps, filter: store.ReplayFilter): Promise<number> {
  await checkFilter(deps, filter);
  return store.countMatching(deps.sql, filter, deps.clock.now());
}

/** Starts a replay: its row, then its first batch's job. */
export async function startReplay(
  deps: ExecutionDeps,
  filter: store.ReplayFilter,
  fromFailedStep: boolean,
): Promise<Replay> {
  await checkFilter(deps, filter);
  const now = deps.clock.now();
  const replay = await store.createReplay(deps.sql, filter, fromFailedStep, now);
  await enqueueBatch(deps, replay.id, now);
  return replay;
}

/** Stops a running replay; ConflictError if it is not running, NotFoundError if there is none. */
export async function abortReplay(deps: ExecutionDeps, id: string): Promise<Replay> {
  const aborted = await store.abortReplay(deps.sql, id, deps.clock.now());
  if (aborted) {
    await publishProgress(deps, aborted);
    return aborted;
  }
  const [existing] = await deps.sql.query<{ status: string }>(Prisma.sql`SELECT status FROM "Replay" WHERE id = ${id}`);
  if (!existing) throw new NotFoundError("Replay", id);
  throw new ConflictError(`replay is ${existing.status}; only a RUNNING replay can be aborted`);
}

/** One batch of a replay's job: reruns the next executions, records progress, and asks for the next batch. */
export async function runReplayBatch(deps: ExecutionDeps, replayId: string, ratePerSecond: number): Promise<void> {
  const now = deps.clock.now();
  const replay = await store.leaseReplay(deps.sql, replayId, now, REPLAY_LEASE_MS);
  if (!replay) return; // over, aborted, or another worker runs its batch
  const originals = await store.nextOriginals(deps.sql, replay, REPLAY_BATCH);
  let skipped = 0;
  for (const original of originals) {
    const fromNodeId = await rerunFrom(deps, original, replay.fromFailedStep);
    if (fromNodeId === undefined) {
      skipped += 1;
      continue;
    }
    await rerunExecution(deps, original, { fromNodeId, replayId: replay.id });
  }
  const done = originals.length < REPLAY_BATCH;
  const batch = { last: originals.at(-1), skipped, done };
  const progress = await store.recordBatch(deps.sql, replay.id, batch, deps.clock.now());
  if (!progress) return; // aborted meanwhile
  await publishProgress(deps, progress);
  if (!done) await enqueueBatch(deps, replay.id, new Date(now.getTime() + (REPLAY_BATCH * 1000) / ratePerSecond));
}

/** Where an execution's rerun starts: its failed step, or its entry node; undefined when it cannot be rerun. */
async function rerunFrom(deps: ExecutionDeps, original: Execution, fromFailedStep: boolean) {
  if (!FINAL_EXECUTION.has(original.status)) return undefined; // still running when its turn came
  if (fromFailedStep && original.status === "FAILED") {
    const failed = await failedNodeOf(deps.sql, original.id);
    if (failed) return failed;
  }
  const workflow = await deps.workflows.get(original.workflowId, original.workflowVersion);
  return findEntryNode(workflow.graph)?.id;
}

async function enqueueBatch(deps: ExecutionDeps, replayId: string, at: Date): Promise<void> {
  await deps.queue.enqueue([replayJob(replayId, at)]).catch((error: unknown) => {
    deps.logger.error({ err: error, replayId }, "enqueueing a replay's batch failed; the reconciler will");
  });
}

async function publishProgress(deps: ExecutionDeps, replay: Replay): Promise<void> {
  const { id: replayId, workflowId, status, rerun, skipped, total } = replay;
  await deps.publisher
    .publishChanges([{ type: "replay", replayId, workflowId, status, rerun, skipped, total }])
    .catch((error: unknown) => deps.logger.error({ err: error, replayId }, "publishing a replay's progress failed"));
}
