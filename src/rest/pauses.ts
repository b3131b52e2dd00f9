/** POST /workflows/{id}/pause and /resume (services/workflows.ts: pauseWorkflow, resumeWorkflow). */
import type { ServiceDeps } from "../services/deps.js";
import { pauseWorkflow, resumeWorkflow } from "../services/workflows.js";
import { oneWorkflowOut } from "./outputs.js";
import { notFound, ok } from "./route-docs.js";
import type { RestRouter } from "./router.js";
import { IdParam, WorkflowOut } from "./schemas.js";

export function mountPauseRoutes(router: RestRouter, services: ServiceDeps): void {
  for (const [action, summary, run] of [
    [
      "pause",
      "Pause a workflow: it matches no events, its schedules stop, its live executions stop before their next step (running steps finish) until resumed; cancelling still works",
      pauseWorkflow,
    ],
    [
      "resume",
      "Resume a paused workflow: its executions continue where they stopped, its schedules fire from their next instant",
      resumeWorkflow,
    ],
  ] as const) {
    router.route(
      {
        method: "post",
        path: `/workflows/{id}/${action}`,
        tags: ["workflows"],
        summary,
        request: { params: IdParam },
        responses: { ...ok(WorkflowOut, "The workflow"), ...notFound("Workflow") },
      },
      async (c) => c.json(await oneWorkflowOut(services, await run(services, c.req.param("id") ?? ""))),
    );
  }
}
