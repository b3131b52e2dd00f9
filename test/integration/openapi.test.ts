import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, type TestEngine } from "../support/engine.js";

const database = useTestDatabase();
let engine: TestEngine;
let built: ReturnType<typeof createApp>;

beforeAll(async () => {
  engine = await startTestEngine(database.url, { worker: false });
  built = createApp(engine);
});

afterAll(async () => {
  await built?.yoga.dispose();
  await engine?.stop();
});

const ROUTES = [
  "post /workflows",
  "get /workflows",
  "get /workflows/{id}",
  "put /workflows/{id}",
  "delete /workflows/{id}",
  "post /events",
  "get /executions",
  "get /executions/{id}",
  "get /executions/{id}/steps",
  "post /executions",
  "post /executions/{id}/rerun",
  "post /replays/preview",
  "post /replays",
  "get /replays/{id}",
  "post /replays/{id}/abort",
  "post /workflows/{id}/schedules/{scheduleId}/pause",
  "post /workflows/{id}/schedules/{scheduleId}/resume",
  "post /workflows/{id}/schedules/{scheduleId}/trigger",
  "get /workflows/{id}/schedules/{scheduleId}/firings",
  "get /workflows/{id}/upcoming-runs",
  "post /workflows/{id}/pause",
  "post /workflows/{id}/resume",
];

describe("OpenAPI", () => {
  it("serves a valid OpenAPI 3.1 document that describes every route", async () => {
    const response = await built.app.request("/openapi.json");
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toBe("3.1.0");
    const result = await new Validator().validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const described = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m} ${path}`),
    );
    expect(described.sort()).toEqual([...ROUTES].sort());
  });

  it("documents request and response schemas from the same zod schemas that validate", async () => {
    const document = (await (await built.app.request("/openapi.json")).json()) as {
      components: { schemas: Record<string, { required?: string[]; properties?: Record<string, unknown> }> };
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
    };
    expect(document.components.schemas.WorkflowIn?.required).toEqual(["name"]);
    expect(Object.keys(document.components.schemas.ExecutionOut?.properties ?? {})).toEqual(
      expect.arrayContaining(["id", "workflow_id", "status", "context"]),
    );
    expect(document.paths["/events"]?.post?.parameters).toContainEqual(
      expect.objectContaining({ name: "Idempotency-Key", in: "header" }),
    );
  });

  it("documents the 413 and 415 that every route with a JSON body answers", async () => {
    const document = (await (await built.app.request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
    };
    const withBody = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, operation]) => operation.requestBody !== undefined)
        .map(([method, operation]) => ({ route: `${method} ${path}`, codes: Object.keys(operation.responses) })),
    );
    expect(withBody.map((r) => r.route).sort()).toEqual(
      [
        "post /events",
        "post /executions",
        "post /executions/{id}/rerun",
        "post /replays",
        "post /replays/preview",
        "post /workflows",
        "put /workflows/{id}",
      ].sort(),
    );
    for (const { route, codes } of withBody)
      expect(codes, route).toEqual(expect.arrayContaining(["413", "415", "422"]));
    // What the document promises is what a form post gets.
    const form = await built.app.request("/workflows", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "name=x",
    });
    expect(form.status).toBe(415);
    expect(await form.json()).toEqual({ detail: expect.stringContaining("application/json") });
  });

  it("renders a docs page from installed packages, without any CDN", async () => {
    const page = await built.app.request("/docs");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("SwaggerUIBundle");
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of html.match(/\/docs\/assets\/[\w.-]+/g) ?? []) {
      const response = await built.app.request(asset);
      expect(response.status, asset).toBe(200);
      expect((await response.arrayBuffer()).byteLength, asset).toBeGreaterThan(100);
    }
    expect((await built.app.request("/docs/assets/../../package.json")).status).toBe(404);
  });
});
