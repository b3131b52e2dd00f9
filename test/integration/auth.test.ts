import { createClient } from "graphql-ws";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ApiKeys } from "../../src/http/api-keys.js";
import { collectWs } from "../support/graphql-clients.js";
import { useServedEngine } from "../support/served-engine.js";

const served = useServedEngine({ overrides: { API_KEYS: "first-key, second-key" } });

const get = (path: string, key?: string) =>
  fetch(`${served.server.url}${path}`, key ? { headers: { authorization: `Bearer ${key}` } } : {});

describe("API keys", () => {
  it("leave the health endpoints open", async () => {
    expect((await get("/healthz")).status).toBe(200);
    expect((await get("/readyz")).status).toBe(200);
  });

  it("protect REST, docs and metrics with a clear 401", async () => {
    for (const path of ["/workflows", "/docs", "/openapi.json", "/metrics", "/nope"]) {
      const response = await get(path);
      expect(response.status, path).toBe(401);
      expect(response.headers.get("www-authenticate")).toContain("Bearer");
      expect(await response.json()).toEqual({ detail: "Not authenticated: send Authorization: Bearer <API key>" });
    }
    expect((await get("/workflows", "wrong-key")).status).toBe(401);
    expect((await get("/workflows", "second-key")).status).toBe(200);
    expect((await get("/metrics", "first-key")).status).toBe(200);
  });

  it("protect GraphQL over HTTP", async () => {
    const query = (key?: string) =>
      fetch(`${served.server.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ query: "{ nodeTypes { type } }" }),
      });
    const denied = await query();
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ errors: [{ extensions: { code: "UNAUTHENTICATED" } }] });
    expect((await query("first-key")).status).toBe(200);
  });

  it("protect GraphQL over WebSocket through connectionParams", async () => {
    const url = `${served.server.url.replace("http", "ws")}/graphql`;
    const operation = { query: "{ nodeTypes { type } }" };
    const denied = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0 });
    await expect(collectWs(denied, operation, () => true)).rejects.toBeDefined();
    await denied.dispose();
    const allowed = createClient({
      url,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { Authorization: "Bearer second-key" },
    });
    try {
      const [result] = await collectWs(allowed, operation, () => true);
      expect(result?.data?.nodeTypes).toHaveLength(10);
    } finally {
      await allowed.dispose();
    }
  });
});

describe("ApiKeys", () => {
  it("allows everything when no key is configured, and only configured keys otherwise", () => {
    expect(new ApiKeys([]).allows(undefined)).toBe(true);
    const keys = new ApiKeys(["a-key"]);
    expect(keys.allows("Bearer a-key")).toBe(true);
    expect(keys.allows("bearer a-key")).toBe(true);
    expect(keys.allows("Bearer a-ke")).toBe(false);
    expect(keys.allows("a-key")).toBe(false);
    expect(keys.allows(undefined)).toBe(false);
  });
});
