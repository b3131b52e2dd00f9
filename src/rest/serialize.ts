/** Database rows → the original engine's JSON shapes (plus additive fields). */
import { type ScheduleRow, storedFlowControl } from "../engine/index.js";
import type { Execution, Step, Workflow } from "../generated/prisma/client.js";
import { flowControlOut } from "./flow-control.js";
import { schedulesOut } from "./schedules.js";

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** A workflow with its schedules (its rows in the Schedule table). */
export function workflowOut(w: Workflow, schedules: readonly ScheduleRow[]) {
  return {
    id: w.id,
    name: w.name,
    description: w.description,
    version: w.version,
    is_active: w.isActive,
    paused: w.pausedAt !== null,
    paused_at: iso(w.pausedAt),
    trigger: w.trigger ?? {},
    cancel_on: w.cancelOn ?? null,
    timeout_ms: w.timeoutMs,
    ...flowControlOut(storedFlowControl(w.flowControl)),
    ...schedulesOut(schedules),
    graph: w.graph,
    definition: w.graph,
    created_at: w.createdAt.toISOString(),
    updated_at: w.updatedAt.toISOString(),
  };
}

/** An execution; `workflowPaused`: its workflow is paused now (executionsOut reads it). */
export function executionOut(e: Execution, workflowPaused = false) {
  return {
    id: e.id,
    workflow_id: e.workflowId,
    status: e.status,
    paused: workflowPaused && (e.status === "PENDING" || e.status === "RUNNING"),
    context: e.payload,
    workflow_version: e.workflowVersion,
    event_id: e.eventId,
    parent_execution_id: e.parentExecutionId,
    parent_step_id: e.parentStepId,
    child_index: e.childIndex,
    rerun_of_id: e.rerunOfId,
    rerun_from_node_id: e.rerunFromNodeId,
    error: e.error,
    created_at: e.createdAt.toISOString(),
    started_at: iso(e.startedAt),
    finished_at: iso(e.finishedAt),
  };
}

export function stepOut(s: Step) {
  return {
    id: s.id,
    execution_id: s.executionId,
    node_id: s.nodeId,
    type: s.type,
    status: s.status,
    output: s.output,
    // An object, as the original engine returned it (GraphQL's Step.error stays a string).
    error: s.error === null ? null : { message: s.error },
    attempt: s.attempt,
    input: s.input,
    resume_at: iso(s.resumeAt),
    created_at: s.createdAt.toISOString(),
    started_at: iso(s.startedAt),
    finished_at: iso(s.finishedAt),
  };
}
