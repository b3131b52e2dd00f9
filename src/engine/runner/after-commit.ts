import {
  CHILD_WAKE,
  type ChangePublisher,
  type EngineLogger,
  type EngineTracing,
  type StartedExecution,
  type StepJob,
  type StepQueue,
  scheduleWakeJob,
} from "../ports.js";
import { type ChangeSet, FINAL_EXECUTION } from "../store/change-set.js";

export interface AfterCommitDeps {
  queue: StepQueue;
  publisher: ChangePublisher;
  logger: EngineLogger;
  /** Admission for workflows with flow control (runner/admissions.ts); without it, the reconciler admits. */
  admissions?: { noticeChanges(changeSets: readonly ChangeSet[]): void };
  /** Traces, when turned on: executions created by these sets are announced at once (execution.started). */
  tracing?: EngineTracing | undefined;
}

/**
 * Enqueue and publish only after the transaction committed. If either fails
 * (Redis down), nothing is lost: the reconciler finds the work in PostgreSQL,
 * and subscribers replay missed changes by seq.
 */
export async function afterCommit(deps: AfterCommitDeps, committed: readonly ChangeSet[]): Promise<void> {
  const changeSets = withOthers(committed);
  deps.admissions?.noticeChanges(changeSets);
  if (deps.tracing) deps.tracing.executionsStarted(startedBy(changeSets));
  const jobs = changeSets.flatMap((c) => [...c.jobs, ...endWakes(c)]);
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

/** The sets with the changes of other executions written in their transactions (children), depth first. */
function withOthers(changeSets: readonly ChangeSet[]): ChangeSet[] {
  return changeSets.flatMap((set) => (set.others.length === 0 ? [set] : [set, ...withOthers(set.others)]));
}

/**
 * The executions these sets created, in whichever process committed them (a server for events and
 * direct starts, a worker for children, schedules, debounce windows, reruns): seq 1 is only ever
 * an execution's creation (ChangeSet.executionCreated).
 */
function startedBy(changeSets: readonly ChangeSet[]): StartedExecution[] {
  const started: StartedExecution[] = [];
  for (const set of changeSets) {
    if (!set.changes.some((c) => c.type === "execution" && c.seq === 1)) continue;
    const { id, workflowId, workflowVersion, parentExecutionId, parentStepId } = set.execution;
    started.push({ executionId: id, workflowId, workflowVersion, parentExecutionId, parentStepId });
  }
  return started;
}

/**
 * What an execution's end wakes, by a job of its own (one per ended execution, so none is merged
 * with a wake already running): the step that started it, for a child (store/children-wait.ts),
 * and its schedule, when that buffers a firing behind it (buffer_one, engine/schedules.ts). A wake
 * lost with this process is found by the reconciler (batchesToSettle, readBuffered).
 */
function endWakes(set: ChangeSet): StepJob[] {
  const { parentExecutionId, parentStepId, wakesScheduleId, id } = set.execution;
  if (!(parentExecutionId && parentStepId) && !wakesScheduleId) return [];
  if (!set.changes.some((c) => c.type === "execution" && FINAL_EXECUTION.has(c.status))) return [];
  const jobs: StepJob[] = [];
  if (parentExecutionId && parentStepId) {
    jobs.push({ stepId: parentStepId, executionId: parentExecutionId, generation: `${CHILD_WAKE}@${id}` });
  }
  if (wakesScheduleId) jobs.push(scheduleWakeJob(wakesScheduleId, id));
  return jobs;
}
