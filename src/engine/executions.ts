/**
 * What the engine does to executions as a whole, for the services: start
 * them (directly, or with the event that matched them), cancel and retry.
 * Each writes through the store, then enqueues and publishes what changed.
 */
import { randomUUID } from "node:crypto";
import { NotFoundError } from "../errors.js";
import type { Event, Execution } from "../generated/prisma/client.js";
import { gatesStarts, renderFlowKeys, renderKey } from "./flow-control.js";
import type { JsonLogicRule } from "./json-logic.js";
import { admitJob } from "./ports.js";
import { afterCommit } from "./runner/after-commit.js";
import { cancelExecution as cancelInStore } from "./store/cancel-execution.js";
import { retryExecution as retryInStore } from "./store/retry-execution.js";
import {
  type DebouncedStart,
  type ExecutionStarter,
  type NewExecution,
  newExecution,
  writeEvent,
  writeExecutions,
} from "./store/start-executions.js";
import { currentWorkflowVersion } from "./store/workflow-version.js";
import { renderTemplates } from "./template.js";
import { decideWaits, deliverEvent, type WaitDeps } from "./waits.js";
import type { PinnedWorkflow } from "./workflow-cache.js";

export type { DebouncedStart, ExecutionStarter, NewExecution } from "./store/start-executions.js";

/** What these operations need. */
export type ExecutionDeps = WaitDeps;

/**
 * An execution of `workflow` for `payload`, planned (ids, entry step, its
 * cancelOn rendered with its data) but not written yet.
 */
export function planExecution(workflow: PinnedWorkflow, payload: unknown): NewExecution {
  const id = randomUUID();
  const context = { payload, steps: {}, execution: { id }, workflow: { id: workflow.workflowId, name: workflow.name } };
  const flow = gatesStarts(workflow.flow) ? renderFlowKeys(workflow.flow, context) : undefined;
  const planned = newExecution(workflow, { id, flow });
  if (workflow.cancelOn !== null) planned.cancelOn = renderTemplates(workflow.cancelOn, context) as JsonLogicRule;
  return planned;
}

/** Starting executions of a workflow's current version (undefined if it does not exist or was deleted). */
export async function currentStarter(
  deps: Pick<ExecutionDeps, "sql" | "workflows">,
  workflowId: string,
): Promise<ExecutionStarter | undefined> {
  const version = await currentWorkflowVersion(deps.sql, workflowId);
  if (version === undefined) return undefined;
  return pinnedStarter(deps, workflowId, version);
}

/** Starting executions of one version of a workflow. */
export async function pinnedStarter(
  deps: Pick<ExecutionDeps, "workflows">,
  workflowId: string,
  version: number,
): Promise<ExecutionStarter> {
  const workflow = await deps.workflows.get(workflowId, version);
  return { workflow, plan: (payload) => planExecution(workflow, payload) };
}

/** Starts a workflow's current version directly, ignoring its trigger and whether it is active. */
export async function startExecution(deps: ExecutionDeps, workflowId: string, payload: unknown): Promise<Execution> {
  const version = await currentWorkflowVersion(deps.sql, workflowId);
  if (version === undefined) throw new NotFoundError("Workflow", workflowId);
  const planned = planExecution(await deps.workflows.get(workflowId, version), payload);
  const [execution] = await writeExecutions(deps.sql, [planned], payload, deps.clock.now());
  await afterCommit(deps, [planned.changes]);
  await checkCancelOn(deps, [planned]);
  return execution as Execution;
}

/**
 * Writes an event with the executions its triggers started, if the workflows
 * revision is still `revision` (the one they were matched at); undefined, with
 * nothing written, when it moved. A unique violation when the idempotency key
 * was taken meanwhile (nothing written either).
 */
export async function startForEvent(
  deps: ExecutionDeps,
  event: { payload: unknown; idempotencyKey: string | null },
  planned: readonly NewExecution[],
  revision: bigint,
  debounced: readonly DebouncedStart[] = [],
): Promise<{ event: Event; executions: Execution[]; resumedStepIds: string[]; debounced: string[] } | undefined> {
  const written = await writeEvent(deps.sql, event, planned, deps.clock.now(), revision, debounced);
  if (!written) return undefined;
  await scheduleWindows(deps, written.event.receivedAt, debounced);
  await afterCommit(
    deps,
    planned.map((p) => p.changes),
  );
  await checkCancelOn(deps, planned);
  const resumedStepIds = await deliverEvent(deps, written.event, written.candidates);
  const debouncedIds = debounced.map((d) => d.workflowId);
  return { event: written.event, executions: written.executions, resumedStepIds, debounced: debouncedIds };
}

/**
 * An event that joined debounce windows: each window's workflow is admitted when the window
 * could close (store/fire-debounce.ts), by a delayed admission job; a later event of the window
 * pushes it back, and admission then asks for a job at the new time.
 */
async function scheduleWindows(
  deps: ExecutionDeps,
  receivedAt: Date,
  debounced: readonly DebouncedStart[],
): Promise<void> {
  if (debounced.length === 0) return;
  const jobs = debounced.map(({ workflowId, periodMs }) =>
    admitJob(workflowId, new Date(receivedAt.getTime() + periodMs)),
  );
  await deps.queue.enqueue(jobs).catch((error: unknown) => {
    deps.logger.error({ err: error }, "scheduling debounce windows failed; the reconciler closes them");
  });
}

/** What debounce holds back of an event for a debounced workflow: the window (workflow, key) it joins. */
export function planDebounce(workflow: PinnedWorkflow, payload: unknown): DebouncedStart | undefined {
  const debounce = workflow.flow?.debounce;
  if (!debounce) return undefined;
  const context = {
    payload,
    steps: {},
    execution: { id: "" },
    workflow: { id: workflow.workflowId, name: workflow.name },
  };
  return { workflowId: workflow.workflowId, key: renderKey(debounce.key, context), periodMs: debounce.periodMs };
}

/**
 * A cancelOn written with its execution was not checked against the events
 * written at the same time (each statement sees only what committed before
 * it): it is now. If this process dies first, the reconciler does it.
 */
export async function checkCancelOn(deps: ExecutionDeps, planned: readonly NewExecution[]): Promise<void> {
  for (const execution of planned) {
    if (execution.cancelOn === undefined) continue;
    try {
      await decideWaits(deps, execution.id);
    } catch (error) {
      // The executions are written: the answer stands, and the reconciler checks this cancelOn (checkedSeq is null).
      deps.logger.error({ err: error, executionId: execution.id }, "checking a new execution's cancelOn failed");
    }
  }
}

/** Cancels a PENDING or RUNNING execution (see store/cancel-execution.ts). */
export async function cancelExecution(deps: ExecutionDeps, id: string, options: { ifActive?: boolean } = {}) {
  const changes = await cancelInStore(deps.sql, id, deps.clock.now(), options);
  await afterCommit(deps, [changes]);
}

/** Continues a FAILED execution from its failed steps (see store/retry-execution.ts). */
export async function retryExecution(
  deps: ExecutionDeps,
  pinned: { id: string; workflowId: string; workflowVersion: number },
) {
  const workflow = await deps.workflows.get(pinned.workflowId, pinned.workflowVersion);
  const changes = await retryInStore(deps.sql, workflow, pinned.id, deps.clock.now());
  await afterCommit(deps, [changes]);
}
