import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import leadRouting from "../../src/samples/lead-routing.json" with { type: "json" };
import originalReadme from "../fixtures/original-readme-workflow.json" with { type: "json" };
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, type TestEngine } from "../support/engine.js";
import { rest } from "../support/rest.js";

const database = useTestDatabase();
let engine: TestEngine;
let app: ReturnType<typeof createApp>["app"];
let dispose: () => Promise<void> | void;

beforeAll(async () => {
  engine = await startTestEngine(database.url, { worker: false });
  const built = createApp(engine);
  app = built.app;
  dispose = () => built.yoga.dispose();
});

afterAll(async () => {
  await dispose?.();
  await engine?.stop();
});

/** What the original UI's "New Workflow" button sends. */
const newWorkflow = {
  name: "New Workflow",
  trigger: {},
  graph: { nodes: [{ id: "start", type: "start", data: { label: "Start" }, position: { x: 250, y: 50 } }], edges: [] },
};

const WORKFLOW_OUT_KEYS = ["id", "name", "description", "version", "is_active", "trigger", "graph"];

describe("POST/GET/PUT/DELETE /workflows", () => {
  it("creates what the original UI sends and returns WorkflowOut", async () => {
    const created = await rest(app, "POST", "/workflows", newWorkflow);
    expect(created.status).toBe(200);
    expect(Object.keys(created.body)).toEqual(expect.arrayContaining(WORKFLOW_OUT_KEYS));
    expect(created.body).toMatchObject({
      name: "New Workflow",
      description: null,
      version: 1,
      is_active: true,
      trigger: {},
      graph: newWorkflow.graph,
    });
    const read = await rest(app, "GET", `/workflows/${created.body.id}`);
    expect(read).toMatchObject({ status: 200, body: created.body });
  });

  it("applies the defaults: trigger {}, graph {}, is_active true", async () => {
    const created = await rest(app, "POST", "/workflows", { name: "Only a name" });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ trigger: {}, graph: { nodes: [], edges: [] }, is_active: true, version: 1 });
  });

  it("accepts definition as an alias of graph, and fills both", async () => {
    const created = await rest(app, "POST", "/workflows", { name: "Aliased", definition: newWorkflow.graph });
    expect(created.body.graph).toEqual(newWorkflow.graph);
    expect(created.body.definition).toEqual(newWorkflow.graph);
  });

  it("lists workflows", async () => {
    const listed = await rest(app, "GET", "/workflows");
    expect(listed.status).toBe(200);
    expect(Array.isArray(listed.body)).toBe(true);
    expect(listed.body.map((w: { name: string }) => w.name)).toContain("New Workflow");
  });

  it("replaces a workflow in full with PUT and bumps the version", async () => {
    const created = await rest(app, "POST", "/workflows", { ...newWorkflow, description: "first" });
    const replaced = await rest(app, "PUT", `/workflows/${created.body.id}`, {
      name: "Lead routing",
      trigger: leadRouting.trigger,
      graph: leadRouting.graph,
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({
      id: created.body.id,
      name: "Lead routing",
      description: null,
      version: 2,
      trigger: leadRouting.trigger,
      graph: leadRouting.graph,
    });
    const again = await rest(app, "PUT", `/workflows/${created.body.id}/`, { name: "Lead routing", is_active: false });
    expect(again.body).toMatchObject({ version: 3, is_active: false, graph: { nodes: [], edges: [] }, trigger: {} });
  });

  it("deletes, then answers 404 in the detail style", async () => {
    const created = await rest(app, "POST", "/workflows", newWorkflow);
    expect(await rest(app, "DELETE", `/workflows/${created.body.id}`)).toMatchObject({
      status: 200,
      body: { status: "deleted" },
    });
    for (const [method, body] of [["GET"], ["DELETE"], ["PUT", newWorkflow]] as const) {
      expect(await rest(app, method, `/workflows/${created.body.id}`, body)).toMatchObject({
        status: 404,
        body: { detail: "Workflow not found" },
      });
    }
  });

  it("answers 422 with a detail list for invalid bodies", async () => {
    expect(await rest(app, "POST", "/workflows", { description: "no name" })).toEqual(
      expect.objectContaining({
        status: 422,
        body: { detail: [{ loc: ["body", "name"], msg: "Field required", type: "missing" }] },
      }),
    );
    const wrongTypes = await rest(app, "POST", "/workflows", { name: 5, is_active: "yes", graph: [] });
    expect(wrongTypes.status).toBe(422);
    expect(wrongTypes.body.detail).toEqual([
      { loc: ["body", "name"], msg: "Input should be a valid string", type: "string_type" },
      { loc: ["body", "graph"], msg: "Input should be a valid dictionary", type: "record_type" },
      { loc: ["body", "is_active"], msg: "Input should be a valid boolean", type: "boolean_type" },
    ]);
  });

  it("reports every problem of an invalid graph, at its location", async () => {
    const invalid = await rest(app, "POST", "/workflows", {
      name: "Original README example",
      graph: originalReadme.graph,
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body.detail).toEqual([
      {
        loc: ["body", "graph", "nodes", 4, "data", "cases", 0, "next"],
        msg: 'node "gift" does not exist',
        type: "value_error",
      },
      {
        loc: ["body", "graph", "nodes", 4, "data", "cases", 1, "next"],
        msg: 'node "drip" does not exist',
        type: "value_error",
      },
    ]);
    const viaAlias = await rest(app, "POST", "/workflows", {
      name: "x",
      definition: originalReadme.graph,
      trigger: { nope: 1 },
    });
    expect(viaAlias.body.detail.map((d: { loc: unknown[] }) => d.loc.slice(0, 2))).toEqual([
      ["body", "trigger"],
      ["body", "definition"],
      ["body", "definition"],
    ]);
  });
});

describe("errors of any route", () => {
  it("answers unknown routes 404 and wrong methods 405, in the detail style", async () => {
    expect(await rest(app, "GET", "/nope")).toMatchObject({ status: 404, body: { detail: "Not Found" } });
    const wrong = await rest(app, "PATCH", "/workflows");
    expect(wrong).toMatchObject({ status: 405, body: { detail: "Method Not Allowed" } });
    expect(wrong.headers.get("allow")).toBe("POST, GET");
    expect(await rest(app, "POST", "/executions/abc")).toMatchObject({ status: 405 });
  });

  it("answers malformed JSON with 422 and bodies that are not declared JSON with 415, never 500", async () => {
    const broken = await rest(app, "POST", "/workflows", '{"name": ', { "content-type": "application/json" });
    expect(broken.status).toBe(422);
    expect(broken.body.detail[0]).toMatchObject({ loc: ["body"], type: "json_invalid" });
    expect(broken.body.detail[0].msg).toMatch(/^JSON decode error/);
    const form = await rest(app, "POST", "/events", "a=1", { "content-type": "application/x-www-form-urlencoded" });
    expect(form).toMatchObject({
      status: 415,
      body: {
        detail: 'Content-Type "application/x-www-form-urlencoded" is not accepted: send the body as application/json',
      },
    });
    const empty = await rest(app, "POST", "/events", "", { "content-type": "application/json" });
    expect(empty).toMatchObject({
      status: 422,
      body: { detail: [{ loc: ["body"], msg: "Field required", type: "missing" }] },
    });
  });

  it("refuses a body sent without a Content-Type (the original engine read it as JSON; any site can send one)", async () => {
    // Bytes, unlike a string, get no default Content-Type from fetch.
    const body = new TextEncoder().encode(JSON.stringify({ anything: 1 }));
    const response = await app.request("/events", { method: "POST", body });
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({ detail: "Content-Type is missing: send the body as application/json" });
    const declared = await app.request("/events", {
      method: "POST",
      body,
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    expect(await declared.json()).toMatchObject({ matched: 0, execution_ids: [] });
  });

  it("answers CORS preflights for the original UI's origin only", async () => {
    const preflight = await app.request("/workflows", {
      method: "OPTIONS",
      headers: { origin: "http://localhost:5173", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    const stranger = await app.request("/workflows", { headers: { origin: "http://evil.test" } });
    expect(stranger.headers.get("access-control-allow-origin")).toBeNull();
    expect(stranger.headers.get("vary")).toBe("Origin");
  });

  it("lets the original UI's origin read answers, errors included", async () => {
    for (const [path, status] of [
      ["/workflows", 200],
      ["/workflows/no-such-id", 404],
    ] as const) {
      const response = await app.request(path, { headers: { origin: "http://localhost:5173" } });
      expect(response.status, path).toBe(status);
      expect(response.headers.get("access-control-allow-origin"), path).toBe("http://localhost:5173");
      expect(response.headers.get("access-control-allow-credentials"), path).toBe("true");
      expect(response.headers.get("vary"), path).toBe("Origin");
      expect(response.headers.get("content-type"), path).toContain("application/json");
    }
    const graphql = await app.request("/graphql", {
      method: "POST",
      headers: { origin: "http://localhost:5173", "content-type": "application/json" },
      body: JSON.stringify({ query: "{ nodeTypes { type } }" }),
    });
    expect(graphql.status).toBe(200);
    expect(graphql.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
  });
});

describe("POST /events and /executions", () => {
  it("matches the README's curl against Lead routing and is idempotent with a key", async () => {
    const workflow = await rest(app, "POST", "/workflows", {
      name: "Lead routing",
      trigger: leadRouting.trigger,
      graph: leadRouting.graph,
    });
    const event = { lead: { source: "LinkedIn", score: 90, title: "CEO" } };
    const first = await rest(app, "POST", "/events", event, { "Idempotency-Key": "rest-1" });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ matched: 1, execution_ids: [expect.any(String)], duplicate: false });
    const again = await rest(app, "POST", "/events", event, { "Idempotency-Key": "rest-1" });
    expect(again.body).toMatchObject({ matched: 1, execution_ids: first.body.execution_ids, duplicate: true });
    expect(await rest(app, "POST", "/events", [1])).toMatchObject({ status: 422 });
    const longKey = await rest(app, "POST", "/events", event, { "Idempotency-Key": "k".repeat(256) });
    expect(longKey).toMatchObject({
      status: 422,
      body: {
        detail: [{ loc: ["header", "Idempotency-Key"], msg: "must be 1 to 255 characters", type: "value_error" }],
      },
    });

    const execution = await rest(app, "GET", `/executions/${first.body.execution_ids[0]}`);
    expect(execution.body).toMatchObject({
      id: first.body.execution_ids[0],
      workflow_id: workflow.body.id,
      status: "PENDING",
      context: event,
    });
  });

  it("starts an execution directly, ignoring trigger and is_active", async () => {
    const paused = await rest(app, "POST", "/workflows", { ...newWorkflow, is_active: false });
    const started = await rest(app, "POST", "/executions", { workflow_id: paused.body.id, payload: { a: 1 } });
    expect(started.status).toBe(200);
    expect(Object.keys(started.body)).toEqual(expect.arrayContaining(["id", "workflow_id", "status", "context"]));
    expect(started.body).toMatchObject({ workflow_id: paused.body.id, status: "PENDING", context: { a: 1 } });
    const defaults = await rest(app, "POST", "/executions", { workflow_id: paused.body.id });
    expect(defaults.body.context).toEqual({});
    expect(await rest(app, "POST", "/executions", { workflow_id: "nope" })).toMatchObject({
      status: 404,
      body: { detail: "Workflow not found" },
    });
    expect(await rest(app, "POST", "/executions", {})).toMatchObject({
      status: 422,
      body: { detail: [{ loc: ["body", "workflow_id"], msg: "Field required", type: "missing" }] },
    });
  });

  it("lists executions newest first, filtered by workflow, at most 100", async () => {
    const workflow = await rest(app, "POST", "/workflows", newWorkflow);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await rest(app, "POST", "/executions", { workflow_id: workflow.body.id })).body.id);
    const listed = await rest(app, "GET", `/executions?workflow_id=${workflow.body.id}`);
    expect(listed.body.map((e: { id: string }) => e.id)).toEqual(ids.reverse());
    const all = await rest(app, "GET", "/executions/");
    expect(all.status).toBe(200);
    expect(all.body.length).toBeLessThanOrEqual(100);
    expect(await rest(app, "GET", "/executions/nope")).toMatchObject({
      status: 404,
      body: { detail: "Execution not found" },
    });
    expect(await rest(app, "GET", "/executions/nope/steps")).toMatchObject({
      status: 404,
      body: { detail: "Execution not found" },
    });
  });
});
