/** Bulk replay routes (not in the original engine): preview, start, read, abort. */
import { z } from "@hono/zod-openapi";
import type { Replay } from "../generated/prisma/client.js";
import type { ServiceDeps } from "../services/deps.js";
import { abortReplay, getReplay, previewReplay, type ReplayFilter, replayExecutions } from "../services/replays.js";
import { validBody } from "./request.js";
import type { RestRouter } from "./router.js";
import { ErrorOut, ExecutionStatus, IdParam, ValidationErrorOut } from "./schemas.js";

const ReplayFilterIn = z
  .object({
    workflow_id: z.string().min(1).openapi({ description: "The workflow whose executions to rerun (required)" }),
    status: ExecutionStatus.optional().openapi({ description: "Only executions with this final status" }),
    from: z.iso.datetime({ offset: true }).optional().openapi({ description: "Created at or after" }),
    to: z.iso.datetime({ offset: true }).optional().openapi({ description: "Created before" }),
  })
  .openapi("ReplayFilterIn");

const ReplayIn = ReplayFilterIn.extend({
  from_failed_step: z
    .boolean()
    .optional()
    .openapi({ description: "Failed executions rerun from their failed step (default true)" }),
}).openapi("ReplayIn");

const ReplayOut = z
  .object({
    id: z.string(),
    workflow_id: z.string(),
    status: z.enum(["RUNNING", "COMPLETED", "ABORTED"]),
    filter: z.record(z.string(), z.unknown()),
    from_failed_step: z.boolean(),
    total: z.number().int(),
    rerun: z.number().int(),
    skipped: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
    finished_at: z.string().nullable(),
  })
  .openapi("ReplayOut");

function replayOut(r: Replay) {
  return {
    id: r.id,
    workflow_id: r.workflowId,
    status: r.status as "RUNNING" | "COMPLETED" | "ABORTED",
    filter: r.filter as Record<string, unknown>,
    from_failed_step: r.fromFailedStep,
    total: r.total,
    rerun: r.rerun,
    skipped: r.skipped,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
    finished_at: r.finishedAt?.toISOString() ?? null,
  };
}

function filterOf(body: z.infer<typeof ReplayFilterIn>): ReplayFilter {
  return {
    workflowId: body.workflow_id,
    ...(body.status ? { status: body.status } : {}),
    ...(body.from ? { from: new Date(body.from) } : {}),
    ...(body.to ? { to: new Date(body.to) } : {}),
  };
}

const json = (schema: z.ZodType, description: string) => ({ description, content: { "application/json": { schema } } });
const answers = {
  404: json(ErrorOut, "No such workflow or replay"),
  422: json(ValidationErrorOut, "Validation failed"),
};
const body = (schema: z.ZodType) => ({ body: { content: { "application/json": { schema } }, required: true } });

export function mountReplayRoutes(router: RestRouter, services: ServiceDeps): void {
  router.route(
    {
      method: "post",
      path: "/replays/preview",
      tags: ["replays"],
      summary: "How many executions a replay of this filter would rerun now (nothing runs)",
      request: body(ReplayFilterIn),
      responses: { 200: json(z.object({ count: z.number().int() }), "The count"), ...answers },
    },
    async (c) => c.json({ count: await previewReplay(services, filterOf(await validBody(c, ReplayFilterIn))) }),
  );
  router.route(
    {
      method: "post",
      path: "/replays",
      tags: ["replays"],
      summary: "Rerun every matching execution once, throttled (failed ones from their failed step by default)",
      request: body(ReplayIn),
      responses: { 200: json(ReplayOut, "The replay, RUNNING"), ...answers },
    },
    async (c) => {
      const input = await validBody(c, ReplayIn);
      return c.json(replayOut(await replayExecutions(services, filterOf(input), input.from_failed_step ?? true)));
    },
  );
  router.route(
    {
      method: "get",
      path: "/replays/{id}",
      tags: ["replays"],
      summary: "A replay's progress",
      request: { params: IdParam },
      responses: { 200: json(ReplayOut, "The replay"), 404: answers[404] },
    },
    async (c) => c.json(replayOut(await getReplay(services, c.req.param("id") ?? ""))),
  );
  router.route(
    {
      method: "post",
      path: "/replays/{id}/abort",
      tags: ["replays"],
      summary: "Stop a running replay (reruns already started go on)",
      request: { params: IdParam },
      responses: { 200: json(ReplayOut, "The replay, ABORTED"), 404: answers[404], 409: json(ErrorOut, "Not running") },
    },
    async (c) => c.json(replayOut(await abortReplay(services, c.req.param("id") ?? ""))),
  );
}
