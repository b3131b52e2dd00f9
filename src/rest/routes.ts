/**
 * The original engine's REST routes (SPEC section 7), backed by the same
 * services as GraphQL. Every success is 200, as before.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ValidationError } from "../errors.js";
import { ingestEvent } from "../services/events.js";
import { getExecution, listExecutions, listSteps, startExecution } from "../services/executions.js";
import { rerunExecution } from "../services/reruns.js";
import { createWorkflow, deleteWorkflow, getWorkflow, listWorkflows, updateWorkflow } from "../services/workflows.js";
import type { RestDeps } from "./deps.js";
import { detailFromProblems, HttpError } from "./errors.js";
import { flowControlIn, restPath } from "./flow-control.js";
import { executionsOut, oneExecutionOut, oneWorkflowOut, workflowsOut } from "./outputs.js";
import { mountPauseRoutes } from "./pauses.js";
import { mountReplayRoutes } from "./replays.js";
import { parseWith, readJsonBody, validBody } from "./request.js";
import { invalid, jsonBody, notFound, ok } from "./route-docs.js";
import { RestRouter } from "./router.js";
import { mountScheduleRoutes, scheduleRestPath, schedulesIn } from "./schedules.js";
import {
  Deleted,
  ErrorOut,
  EventIn,
  EventsOut,
  ExecutionIn,
  ExecutionOut,
  ExecutionsQuery,
  IdempotencyHeader,
  IdParam,
  RerunIn,
  StepOut,
  WorkflowIn,
  WorkflowOut,
} from "./schemas.js";
import { stepOut } from "./serialize.js";

/** The original engine listed at most this many executions. */
export const EXECUTIONS_PAGE = 100;

export function mountRestRoutes(app: OpenAPIHono, deps: RestDeps): RestRouter {
  const router = new RestRouter(app, deps.logger);
  const { services } = deps;

  router.route(
    {
      method: "post",
      path: "/workflows",
      tags: ["workflows"],
      summary: "Create a workflow",
      request: jsonBody(WorkflowIn),
      responses: { ...ok(WorkflowOut, "The created workflow"), ...invalid },
    },
    async (c) => c.json(await oneWorkflowOut(services, await saveWorkflow(c, deps, undefined))),
  );

  router.route(
    {
      method: "get",
      path: "/workflows",
      tags: ["workflows"],
      summary: "List workflows",
      responses: ok(WorkflowOut.array(), "All workflows"),
    },
    async (c) => c.json(await workflowsOut(services, await listWorkflows(services))),
  );

  router.route(
    {
      method: "get",
      path: "/workflows/{id}",
      tags: ["workflows"],
      summary: "Get a workflow",
      request: { params: IdParam },
      responses: { ...ok(WorkflowOut, "The workflow"), ...notFound("Workflow") },
    },
    async (c) => c.json(await oneWorkflowOut(services, await getWorkflow(services, c.req.param("id") ?? ""))),
  );

  router.route(
    {
      method: "put",
      path: "/workflows/{id}",
      tags: ["workflows"],
      summary: "Replace a workflow (version + 1)",
      request: { params: IdParam, ...jsonBody(WorkflowIn) },
      responses: { ...ok(WorkflowOut, "The updated workflow"), ...notFound("Workflow"), ...invalid },
    },
    async (c) => c.json(await oneWorkflowOut(services, await saveWorkflow(c, deps, c.req.param("id") ?? ""))),
  );

  router.route(
    {
      method: "delete",
      path: "/workflows/{id}",
      tags: ["workflows"],
      summary: "Delete a workflow (its running executions are cancelled)",
      request: { params: IdParam },
      responses: { ...ok(Deleted, "Deleted"), ...notFound("Workflow") },
    },
    async (c) => {
      await deleteWorkflow(services, c.req.param("id") ?? "");
      return c.json({ status: "deleted" as const });
    },
  );

  router.route(
    {
      method: "post",
      path: "/events",
      tags: ["events"],
      summary: "Send an event: every active workflow whose trigger matches starts an execution",
      request: { ...jsonBody(EventIn, "The event itself"), headers: IdempotencyHeader },
      responses: { ...ok(EventsOut, "What the event started"), ...invalid },
    },
    async (c) => {
      const event = parseWith(EventIn, await readJsonBody(c), "body");
      // Checked here so that a bad key is reported at the header, not in the body.
      const headers = parseWith(IdempotencyHeader, { "Idempotency-Key": c.req.header("idempotency-key") }, "header");
      const result = await ingestEvent(services, event, headers["Idempotency-Key"], c.req.header("traceparent"));
      return c.json({
        matched: result.executions.length,
        execution_ids: result.executions.map((e) => e.id),
        event_id: result.event.id,
        resumed_step_ids: result.resumedStepIds,
        debounced_workflow_ids: result.debounced,
        duplicate: result.duplicate,
      });
    },
  );

  router.route(
    {
      method: "get",
      path: "/executions",
      tags: ["executions"],
      summary: `List executions, newest first (at most ${EXECUTIONS_PAGE})`,
      request: { query: ExecutionsQuery },
      responses: ok(ExecutionOut.array(), "Executions"),
    },
    async (c) => {
      const query = parseWith(ExecutionsQuery, c.req.query(), "query");
      const search = {
        ...(query.workflow_id ? { workflowId: query.workflow_id } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.from ? { from: new Date(query.from) } : {}),
        ...(query.to ? { to: new Date(query.to) } : {}),
        ...(query.payload_contains === undefined ? {} : { payloadContains: jsonQuery(query.payload_contains) }),
      };
      const executions = await listExecutions(services, { ...search, take: EXECUTIONS_PAGE }).catch((error) => {
        // Problems in the query's own names (payloadContains → payload_contains).
        if (!(error instanceof ValidationError)) throw error;
        const detail = detailFromProblems(error.problems).map((d) => ({
          ...d,
          loc: ["query", d.loc[1] === "payloadContains" ? "payload_contains" : (d.loc[1] ?? "")],
        }));
        throw new HttpError(422, detail);
      });
      return c.json(await executionsOut(services, executions));
    },
  );

  router.route(
    {
      method: "post",
      path: "/executions",
      tags: ["executions"],
      summary: "Start a workflow directly (ignores its trigger and is_active)",
      request: jsonBody(ExecutionIn),
      responses: { ...ok(ExecutionOut, "The started execution"), ...notFound("Workflow"), ...invalid },
    },
    async (c) => {
      const body = await validBody(c, ExecutionIn);
      return c.json(
        await oneExecutionOut(services, await startExecution(services, body.workflow_id, body.payload ?? {})),
      );
    },
  );

  router.route(
    {
      method: "get",
      path: "/executions/{id}",
      tags: ["executions"],
      summary: "Get an execution",
      request: { params: IdParam },
      responses: { ...ok(ExecutionOut, "The execution"), ...notFound("Execution") },
    },
    async (c) => c.json(await oneExecutionOut(services, await getExecution(services, c.req.param("id") ?? ""))),
  );

  router.route(
    {
      method: "post",
      path: "/executions/{id}/rerun",
      tags: ["executions"],
      summary: "Run a finished execution again from a node, as a new execution (steps not downstream of it are copied)",
      request: { params: IdParam, ...jsonBody(RerunIn) },
      responses: {
        ...ok(ExecutionOut, "The rerun"),
        ...notFound("Execution"),
        409: { description: "The execution has not finished", content: { "application/json": { schema: ErrorOut } } },
        ...invalid,
      },
    },
    async (c) => {
      const body = await validBody(c, RerunIn);
      const args = { fromNodeId: body.from_node_id, ...(body.input === undefined ? {} : { input: body.input }) };
      const rerun = await rerunExecution(services, c.req.param("id") ?? "", args).catch((error: unknown) => {
        // Named as the client sent them: fromNodeId is from_node_id in the body.
        if (!(error instanceof ValidationError)) throw error;
        throw new HttpError(422, detailFromProblems(error.problems, { fromNodeId: "from_node_id" }));
      });
      return c.json(await oneExecutionOut(services, rerun));
    },
  );

  router.route(
    {
      method: "get",
      path: "/executions/{id}/steps",
      tags: ["executions"],
      summary: "The steps of an execution, in execution order",
      request: { params: IdParam },
      responses: { ...ok(StepOut.array(), "Steps"), ...notFound("Execution") },
    },
    async (c) => c.json((await listSteps(services, c.req.param("id") ?? "")).map(stepOut)),
  );

  mountReplayRoutes(router, services);
  mountScheduleRoutes(router, services);
  mountPauseRoutes(router, services);
  return router;
}

/** A query parameter holding JSON; 422 naming it when it is not JSON. */
function jsonQuery(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(422, [
      { loc: ["query", "payload_contains"], msg: 'must be JSON, e.g. {"customer":{"id":"c-42"}}', type: "value_error" },
    ]);
  }
}

/** POST creates, PUT replaces in full: omitted fields take their defaults, as in the original engine. */
async function saveWorkflow(c: Context, deps: RestDeps, id: string | undefined) {
  const body = await validBody(c, WorkflowIn);
  const graph = body.graph ?? body.definition ?? {};
  const input = {
    name: body.name,
    description: body.description ?? null,
    trigger: body.trigger ?? {},
    graph,
    isActive: body.is_active ?? true,
    cancelOn: body.cancel_on ?? null,
    timeoutMs: body.timeout_ms ?? null,
    ...flowControlIn(body),
    ...schedulesIn(body),
  };
  try {
    return id === undefined
      ? await createWorkflow(deps.services, input)
      : await updateWorkflow(deps.services, id, input);
  } catch (error) {
    // Name the field the client sent: problems in `definition` are reported there, and in snake_case.
    if (error instanceof ValidationError) {
      const graph: Record<string, string> =
        body.graph === undefined && body.definition !== undefined ? { graph: "definition" } : {};
      const renames = { ...graph, cancelOn: "cancel_on", timeoutMs: "timeout_ms" };
      const paths = error.problems.map((p) => scheduleRestPath(restPath(p)));
      throw new HttpError(422, detailFromProblems(paths, renames));
    }
    throw error;
  }
}
