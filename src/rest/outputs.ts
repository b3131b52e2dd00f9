/**
 * Responses that read more than the row they show: a workflow with its schedules, an execution with
 * whether its workflow is paused. One query serves a whole list.
 */
import type { Execution, Workflow } from "../generated/prisma/client.js";
import type { ServiceDeps } from "../services/deps.js";
import { schedulesOf } from "../services/schedules.js";
import { executionOut, workflowOut } from "./serialize.js";

/** Workflows as REST shows them: each with its schedules. */
export async function workflowsOut(services: ServiceDeps, workflows: readonly Workflow[]) {
  const rows = await schedulesOf(
    services,
    workflows.map((w) => w.id),
  );
  return workflows.map((w) =>
    workflowOut(
      w,
      rows.filter((r) => r.workflowId === w.id),
    ),
  );
}

export async function oneWorkflowOut(services: ServiceDeps, workflow: Workflow) {
  return (await workflowsOut(services, [workflow]))[0];
}

/** Executions as REST shows them: each says whether its workflow is paused now. */
export async function executionsOut(services: ServiceDeps, executions: readonly Execution[]) {
  const live = executions.filter((e) => e.status === "PENDING" || e.status === "RUNNING");
  const workflowIds = [...new Set(live.map((e) => e.workflowId))];
  const paused =
    workflowIds.length === 0
      ? []
      : await services.db.workflow.findMany({
          where: { id: { in: workflowIds }, pausedAt: { not: null } },
          select: { id: true },
        });
  const pausedIds = new Set(paused.map((w) => w.id));
  return executions.map((e) => executionOut(e, pausedIds.has(e.workflowId)));
}

export async function oneExecutionOut(services: ServiceDeps, execution: Execution) {
  return (await executionsOut(services, [execution]))[0];
}
