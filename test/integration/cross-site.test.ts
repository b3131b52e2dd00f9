/**
 * Cross-site access with the default settings (issue 17, point 2): what a page
 * on another site can make a visitor's browser do to an engine it can reach
 * (localhost, an intranet). Browsers open WebSockets to anywhere and send
 * forms and no-cors fetches without a preflight; DNS rebinding makes the
 * attacker's own name point at the engine. Each attack is made the way a
 * browser would make it, against a served engine, and the data checked after.
 */
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { loadConfig } from "../../src/config.js";
import { listen, type RunningServer } from "../../src/listen.js";
import { startTestEngine, type TestEngine } from "../support/engine.js";
import { useServedEngine } from "../support/served-engine.js";

// Production mode with the default CORS_ORIGINS (no ALLOWED_HOSTS: no Host check).
const served = useServedEngine();
const EVIL = "https://evil.example";

/** The names of every workflow, through the REST API. */
async function workflowNames(baseUrl: string): Promise<string[]> {
  const response = await fetch(`${baseUrl}/workflows`);
  return ((await response.json()) as { name: string }[]).map((w) => w.name);
}

const createMutation = (name: string) => `mutation { createWorkflow(input: {name: ${JSON.stringify(name)}}) { id } }`;

type Attempt =
  | { refused: { status: number; body: string } }
  | { opened: true; result: { data?: unknown; errors?: unknown } | undefined };

/**
 * What a page does with a WebSocket: open it, say connection_init, run one
 * operation and wait for its result. Either the upgrade is refused (status and
 * body), or the socket opened and the operation's result (or none) comes back.
 */
function viaWebSocket(baseUrl: string, query: string, headers: Record<string, string> = {}): Promise<Attempt> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws", { headers });
  return new Promise<Attempt>((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error("no answer within 5 s"));
    }, 5000);
    const finish = (attempt: Attempt) => {
      clearTimeout(timer);
      ws.close();
      resolve(attempt);
    };
    ws.on("unexpected-response", (_request, response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
      });
      response.on("end", () => {
        clearTimeout(timer);
        resolve({ refused: { status: response.statusCode ?? 0, body } });
      });
    });
    ws.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    ws.on("open", () => ws.send(JSON.stringify({ type: "connection_init" })));
    ws.on("message", (data) => {
      const message = JSON.parse(String(data)) as { type: string; payload?: { data?: unknown } };
      if (message.type === "connection_ack") {
        ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query } }));
      } else if (message.type === "next") {
        finish({ opened: true, result: message.payload });
      } else if (message.type === "error" || message.type === "complete") {
        finish({ opened: true, result: undefined });
      }
    });
    ws.on("close", () => finish({ opened: true, result: undefined }));
  });
}

describe("GraphQL over WebSocket from a page on another site", () => {
  it("is refused with 403 before any WebSocket exists, so its mutation creates nothing", async () => {
    const attempt = await viaWebSocket(served.server.url, createMutation("made by evil.example over ws"), {
      origin: EVIL,
    });
    expect(attempt).toEqual({
      refused: {
        status: 403,
        body: 'Origin "https://evil.example" may not open a GraphQL WebSocket: add it to CORS_ORIGINS to allow it',
      },
    });
    // Nor can it read: the same page asking for executions is refused alike.
    const read = await viaWebSocket(served.server.url, "{ executions(first: 5) { edges { node { id } } } }", {
      origin: "null",
    });
    expect(read).toMatchObject({ refused: { status: 403 } });
    expect(await workflowNames(served.server.url)).not.toContain("made by evil.example over ws");
  });

  it("still serves the allowed origins, the server's own pages and clients that send no Origin", async () => {
    const { url, port } = served.server;
    for (const headers of [
      { origin: "http://localhost:5173" } as Record<string, string>,
      { origin: "http://127.0.0.1:5173" },
      { origin: `http://127.0.0.1:${port}` },
      {},
    ]) {
      const attempt = await viaWebSocket(url, '{ nodeTypes { type } } # "a query"', headers);
      expect(attempt, JSON.stringify(headers)).toMatchObject({
        opened: true,
        result: { data: { nodeTypes: expect.arrayContaining([{ type: "start" }]) } },
      });
    }
    const made = await viaWebSocket(url, createMutation("made over ws with no Origin"));
    expect(made).toMatchObject({ opened: true, result: { data: { createWorkflow: { id: expect.any(String) } } } });
    expect(await workflowNames(url)).toContain("made over ws with no Origin");
  });
});

describe("bodies a page on another site can send without asking", () => {
  it("/graphql refuses a form-encoded or multipart mutation with 415 naming application/json, and runs nothing", async () => {
    const { url } = served.server;
    const query = createMutation("made by a cross-site form");
    const forms: [string, BodyInit][] = [
      ["application/x-www-form-urlencoded", new URLSearchParams({ query })],
      // The GraphQL multipart request spec (file uploads): operations + map.
      ["multipart/form-data", formData({ operations: JSON.stringify({ query }), map: "{}" })],
      ["text/plain", JSON.stringify({ query })],
    ];
    for (const [type, body] of forms) {
      const response = await fetch(`${url}/graphql`, { method: "POST", body });
      expect(response.headers.get("content-type"), type).toContain("application/json");
      expect(response.status, type).toBe(415);
      const { errors } = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
      expect(errors, type).toEqual([
        {
          message: expect.stringMatching(
            /^Content-Type ".+" is not accepted: send the operation as application\/json$/,
          ),
          extensions: { code: "BAD_REQUEST" },
        },
      ]);
    }
    expect(await workflowNames(url)).not.toContain("made by a cross-site form");
    // The same mutation as JSON runs: the refusal is about the type alone.
    const json = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: createMutation("made as JSON") }),
    });
    expect(await json.json()).toMatchObject({ data: { createWorkflow: { id: expect.any(String) } } });
  });

  it("REST refuses a POST /workflows with no Content-Type or text/plain with 415, and creates nothing", async () => {
    const { url } = served.server;
    const body = JSON.stringify({ name: "made by a no-cors fetch" });
    // Bytes: fetch gives a string body text/plain, and bytes no Content-Type at all.
    const none = await fetch(`${url}/workflows`, { method: "POST", body: new TextEncoder().encode(body) });
    expect(none.status).toBe(415);
    expect(await none.json()).toEqual({ detail: "Content-Type is missing: send the body as application/json" });
    const text = await fetch(`${url}/workflows`, { method: "POST", body });
    expect(text.status).toBe(415);
    expect(await text.json()).toEqual({
      detail: 'Content-Type "text/plain;charset=UTF-8" is not accepted: send the body as application/json',
    });
    expect(await workflowNames(url)).not.toContain("made by a no-cors fetch");
  });

  it("answers CORS preflights from the original UI as localhost:5173 and as 127.0.0.1:5173", async () => {
    for (const origin of ["http://localhost:5173", "http://127.0.0.1:5173"]) {
      const preflight = await fetch(`${served.server.url}/workflows`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
      });
      expect(preflight.status, origin).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin"), origin).toBe(origin);
    }
  });
});

describe("an embedded-mode engine (the default: nothing configured)", () => {
  let engine: TestEngine;
  let server: RunningServer;

  beforeAll(async () => {
    // No DATABASE_URL or REDIS_URL: embedded mode, PGlite in memory.
    const config = loadConfig({ DATA_DIR: "memory://", LOG_LEVEL: "silent", LOG_FORMAT: "json" });
    engine = await startTestEngine("", { worker: false, config });
    server = await listen(engine, 0);
  });
  afterAll(async () => {
    await server?.close();
    await engine?.stop();
  });

  it("listens on 127.0.0.1 only", () => {
    expect((server.server.address() as AddressInfo).address).toBe("127.0.0.1");
  });

  it("refuses requests addressed to another name (DNS rebinding) with 403, over REST, GraphQL and WebSocket", async () => {
    const host = `evil.example:${server.port}`;
    const rest = await rawRequest(server.port, "GET", "/workflows", { host });
    expect(rest).toEqual({
      status: 403,
      body: {
        detail: `Host "${host}" is not allowed: add its name to ALLOWED_HOSTS to serve it`,
      },
    });
    const graphql = await rawRequest(
      server.port,
      "POST",
      "/graphql",
      { host, "content-type": "application/json" },
      {
        query: createMutation("made through a rebound name"),
      },
    );
    expect(graphql).toMatchObject({ status: 403, body: { errors: [{ extensions: { code: "FORBIDDEN" } }] } });
    // A same-origin page on the rebound name: its Origin matches its Host, and the Host check still refuses it.
    const ws = await viaWebSocket(server.url, createMutation("made through a rebound name"), {
      host,
      origin: `http://${host}`,
    });
    expect(ws).toMatchObject({ refused: { status: 403, body: expect.stringContaining("ALLOWED_HOSTS") } });
    expect(await workflowNames(server.url)).not.toContain("made through a rebound name");
  });

  it("serves localhost and IP addresses", async () => {
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, `[::1]:${server.port}`, "localhost"]) {
      const reply = await rawRequest(server.port, "GET", "/readyz", { host });
      expect(reply, host).toMatchObject({ status: 200, body: { status: "ready" } });
    }
    const ws = await viaWebSocket(server.url, "{ nodeTypes { type } }", { host: `localhost:${server.port}` });
    expect(ws).toMatchObject({ opened: true, result: { data: { nodeTypes: expect.any(Array) } } });
  });
});

function formData(fields: Record<string, string>): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  return form;
}

/** An HTTP request with headers fetch will not set (Host), on a connection of its own. */
function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => {
        text += chunk.toString("utf8");
      });
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }),
      );
    });
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
