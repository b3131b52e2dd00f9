import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, type TestEngine } from "../support/engine.js";

const database = useTestDatabase();
let engine: TestEngine;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  engine = await startTestEngine(database.url, { worker: false, overrides: { MAX_REQUEST_BYTES: "5000" } });
  app = createApp(engine);
});

afterAll(async () => {
  await app?.yoga.dispose();
  await engine?.stop();
});

describe("HTTP endpoints", () => {
  it("reports alive and ready", async () => {
    const alive = await app.app.request("/healthz");
    expect(alive.status).toBe(200);
    expect(await alive.json()).toEqual({ status: "ok" });
    const ready = await app.app.request("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { database: true, schema: true, redis: true } });
  });

  // The server's own maintenance database is reachable, but nobody migrated it.
  it.each([
    ["is unreachable", "no_such_database", { database: false, schema: false, redis: true }],
    ["holds no engine tables (never migrated)", "postgres", { database: true, schema: false, redis: true }],
  ])("reports not ready when the database %s", async (_, name, checks) => {
    const broken = await startTestEngine(database.url.replace(/\/[^/]+$/, `/${name}`), { worker: false });
    try {
      const ready = await createApp(broken).app.request("/readyz");
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: "unavailable", checks });
    } finally {
      await broken.stop();
    }
  });

  it("serves GraphiQL to browsers", async () => {
    const page = await app.app.request("/graphql", { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("GraphiQL");
  });

  it("answers GET queries", async () => {
    const response = await app.app.request(`/graphql?query=${encodeURIComponent("{ nodeTypes { type } }")}`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: { nodeTypes: unknown[] } }).data.nodeTypes).toHaveLength(10);
  });

  it("refuses bodies over the limit with 413", async () => {
    const response = await app.app.request("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: "mutation($p: JSON!) { sendEvent(payload: $p) { matched } }",
        variables: { p: { blob: "x".repeat(10_000) } },
      }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      errors: [{ message: "request body larger than 5000 bytes", extensions: { code: "PAYLOAD_TOO_LARGE" } }],
    });
  });

  it("says which content type it refuses, with 415 and a code", async () => {
    const response = await app.app.request("/graphql", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ query: "{ nodeTypes { type } }" }),
    });
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({
      errors: [
        {
          message: 'Content-Type "text/plain" is not accepted: send the operation as application/json',
          extensions: { code: "BAD_REQUEST" },
        },
      ],
    });
  });

  it("refuses REST bodies over the limit with 413 in the detail style", async () => {
    const response = await app.app.request("/events", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ blob: "x".repeat(10_000) }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ detail: "Request body larger than 5000 bytes" });
  });
});
