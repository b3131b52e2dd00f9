/** Bulk replay routes (not in the original engine): preview, start, read, abort. */
import { z } from "@hono/zod-openapi";
import type { Replay } from "../generated/prisma/client.js";
import type { ServiceDeps } from "../services/deps.js";
import { abortReplay, getReplay, previewReplay, type ReplayFilter, replayExecutions } from "../services/replays.js";
import { validBody } from "./request.js";
import { invalid, jsonBody, notFound, ok } from "./route-docs.js";
import type { RestRouter } from "./router.js";
import { ErrorOut, ExecutionStatus, IdParam } from "./schemas.js";

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

export function mountReplayRoutes(router: RestRouter, services: ServiceDeps): void {
  router.route(
    {
      method: "post",
      path: "/replays/preview",
      tags: ["replays"],
      summary: "How many executions a replay of this filter would rerun now (nothing runs)",
      request: jsonBody(ReplayFilterIn),
      responses: { ...ok(z.object({ count: z.number().int() }), "The count"), ...notFound("Workflow"), ...invalid },
    },
    async (c) => c.json({ count: await previewReplay(services, filterOf(await validBody(c, ReplayFilterIn))) }),
  );
  router.route(
    {
      method: "post",
      path: "/replays",
      tags: ["replays"],
      summary: "Rerun every matching execution once, throttled (failed ones from their failed step by default)",
      request: jsonBody(ReplayIn),
      responses: { ...ok(ReplayOut, "The replay, RUNNING"), ...notFound("Workflow"), ...invalid },
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
      responses: { ...ok(ReplayOut, "The replay"), ...notFound("Replay") },
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
      responses: {
        ...ok(ReplayOut, "The replay, ABORTED"),
        ...notFound("Replay"),
        409: json(ErrorOut, "The replay is not running"),
      },
    },
    async (c) => c.json(replayOut(await abortReplay(services, c.req.param("id") ?? ""))),
  );
}
