/**
 * Runs admission (store/admit-executions.ts) for a workflow whenever it may
 * let someone in: an execution entered the line (ChangeSet.admits), or a
 * change of one of its executions may have freed a slot (a step stopped
 * being PENDING or RUNNING, the execution ended). One admission per workflow
 * at a time in a process; a request meanwhile runs it once more after, so a
 * burst of releases costs two admissions, not one each. If this process
 * dies before admitting, the reconciler admits for every workflow with a
 * line (workflowsInLine), and a throttled line is admitted again by a
 * delayed job at the time the rate limit lets its next start in.
 */
import type { SqlDb } from "../../db/sql.js";
import { planExecution } from "../executions.js";
import { holdsSlots } from "../flow-control.js";
import { admitJob, type Clock, type EngineLogger, type StepQueue } from "../ports.js";
import { admitExecutions } from "../store/admit-executions.js";
import { type ChangeSet, FINAL_EXECUTION } from "../store/change-set.js";
import { currentWorkflowVersion } from "../store/workflow-version.js";
import type { WorkflowCache } from "../workflow-cache.js";
import { type AfterCommitDeps, afterCommit } from "./after-commit.js";

export interface AdmissionDeps extends Omit<AfterCommitDeps, "admissions"> {
  sql: SqlDb;
  queue: StepQueue;
  clock: Clock;
  logger: EngineLogger;
  workflows: WorkflowCache;
}

const FREEING_STEP = new Set(["WAITING", "SUCCEEDED", "FAILED", "CANCELLED", "SKIPPED"]);

export class Admissions {
  private readonly inFlight = new Map<string, { again: boolean; done: Promise<void> }>();

  constructor(private readonly deps: AdmissionDeps) {}

  /** Admits for the workflow now (or once more after the admission in flight here). */
  admit(workflowId: string): Promise<void> {
    const current = this.inFlight.get(workflowId);
    if (current) {
      current.again = true;
      return current.done;
    }
    const entry = { again: false, done: Promise.resolve() };
    this.inFlight.set(workflowId, entry);
    entry.done = (async () => {
      try {
        do {
          entry.again = false;
          await this.once(workflowId);
        } while (entry.again);
      } finally {
        this.inFlight.delete(workflowId);
      }
    })();
    return entry.done;
  }

  /** After a commit: admission for the workflows these changes may let someone in (see the header). */
  noticeChanges(changeSets: readonly ChangeSet[]): void {
    for (const set of changeSets) {
      const { workflowId, workflowVersion } = set.execution;
      if (set.admits) this.request(workflowId);
      else if (mayFreeSlot(set)) {
        // Known already almost always (the version that just ran): no promise, no statement.
        const pinned = this.deps.workflows.peek(workflowId, workflowVersion);
        if (!pinned) void this.loadThenAdmit(workflowId, workflowVersion);
        else if (holdsSlots(pinned.flow)) this.request(workflowId);
      }
    }
  }

  /** For a version this process has not loaded: loaded off the caller's path. */
  private async loadThenAdmit(workflowId: string, version: number): Promise<void> {
    try {
      const pinned = await this.deps.workflows.get(workflowId, version);
      if (holdsSlots(pinned.flow)) this.request(workflowId);
    } catch (error) {
      this.deps.logger.warn(
        { err: error, workflowId },
        "could not tell whether a workflow has limits; the reconciler admits",
      );
    }
  }

  private request(workflowId: string): void {
    this.admit(workflowId).catch((error: unknown) => {
      this.deps.logger.error({ err: error, workflowId }, "admission failed; the reconciler admits again");
    });
  }

  private async once(workflowId: string): Promise<void> {
    // Loaded before admission's transaction opens: nothing waits on another connection under its lock
    // (embedded mode has one connection). A version saved meanwhile is used by the next admission.
    const version = await currentWorkflowVersion(this.deps.sql, workflowId);
    const workflow = version === undefined ? undefined : await this.deps.workflows.get(workflowId, version);
    const starter = workflow && { workflow, plan: (payload: unknown) => planExecution(workflow, payload) };
    const admission = await admitExecutions(this.deps.sql, workflowId, this.deps.clock.now(), starter);
    // Refused and cancelled executions are published (and free slots: noticed, so this runs once more).
    await afterCommit({ ...this.deps, admissions: this }, admission.changes);
    const jobs = [...admission.jobs];
    if (admission.nextAt) jobs.push(admitJob(workflowId, admission.nextAt));
    if (jobs.length === 0) return;
    await this.deps.queue.enqueue(jobs).catch((error: unknown) => {
      this.deps.logger.error({ err: error, workflowId }, "enqueueing admitted steps failed; the reconciler will");
    });
  }
}

function mayFreeSlot(set: ChangeSet): boolean {
  return set.changes.some(
    (c) =>
      (c.type === "step" && FREEING_STEP.has(c.status)) || (c.type === "execution" && FINAL_EXECUTION.has(c.status)),
  );
}
