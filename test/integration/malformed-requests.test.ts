/**
 * A corpus of malformed requests (test/fixtures/malformed-requests.ts), over REST and GraphQL, through the whole HTTP
 * app (body limit, auth, routing, yoga) on a real engine. Every one must get a
 * clear client error: REST a 4xx whose JSON `detail` names the field or the
 * problem; GraphQL an error with an `extensions.code` that is not
 * INTERNAL_SERVER_ERROR. Never a 5xx, nothing logged as unexpected, and the
 * server still answers afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import type { Yoga } from "../../src/graphql/yoga.js";
import { CREATE, graphqlCases, json, restCases, UPDATE } from "../fixtures/malformed-requests.js";
import { useTestDatabase } from "../support/database.js";
import { capturingLogger, startTestEngine, type TestEngine } from "../support/engine.js";
import { edge, fanOut, notificationChain, notify } from "../support/graphs.js";

const database = useTestDatabase();
const logLines: string[] = [];
let engine: TestEngine;
let app: ReturnType<typeof createApp>["app"];
let yoga: Yoga;
/** Ids of a real workflow and execution, substituted for {workflow} and {execution} in cases. */
const fixture = { workflow: "", execution: "" };

beforeAll(async () => {
  engine = await startTestEngine(database.url, { worker: false, logger: capturingLogger(logLines) });
  ({ app, yoga } = createApp(engine));
  const workflow = await call("POST", "/workflows", JSON.stringify({ name: "Fixture", graph: notificationChain(2) }));
  expect(workflow.status).toBe(200);
  fixture.workflow = (workflow.json as { id: string }).id;
  const execution = await call("POST", "/executions", JSON.stringify({ workflow_id: fixture.workflow }));
  expect(execution.status).toBe(200);
  fixture.execution = (execution.json as { id: string }).id;
});

afterAll(async () => {
  await yoga?.dispose();
  await engine?.stop();
});

// ---------------------------------------------------------------------------
// Sending raw requests

interface Reply {
  status: number;
  contentType: string;
  text: string;
  json: unknown;
}

const JSON_TYPE = "application/json";

async function call(
  method: string,
  path: string,
  body?: BodyInit,
  headers: Record<string, string> = body === undefined ? {} : { "content-type": JSON_TYPE },
): Promise<Reply> {
  const response = await app.request(withFixture(path), { method, body, headers });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", text, json };
}

const withFixture = (text: string) =>
  text.replaceAll("{workflow}", fixture.workflow).replaceAll("{execution}", fixture.execution);

// ---------------------------------------------------------------------------

describe("the malformed-request corpus", () => {
  it("holds at least 200 cases", () => {
    expect(restCases.length + graphqlCases.length).toBeGreaterThanOrEqual(200);
    expect(new Set(restCases.map((c) => c.name)).size).toBe(restCases.length);
    expect(new Set(graphqlCases.map((c) => c.name)).size).toBe(graphqlCases.length);
  });

  it.each(restCases)("REST $name", async (c) => {
    const contentType = c.contentType === undefined ? JSON_TYPE : c.contentType;
    const headers = {
      ...(c.body !== undefined && contentType !== null ? { "content-type": contentType } : {}),
      ...c.headers,
    };
    const body = typeof c.body === "string" ? withFixture(c.body) : c.body;
    const reply = await call(c.method, c.path, body, headers);
    expect(reply.status, reply.text.slice(0, 300)).toBe(c.status);
    expect(reply.contentType).toMatch(/application\/json/);
    const { detail } = reply.json as { detail: unknown };
    if (Array.isArray(detail)) {
      expect(detail.length).toBeGreaterThan(0);
      for (const item of detail)
        expect(item).toMatchObject({ loc: expect.any(Array), msg: expect.any(String), type: expect.any(String) });
    } else {
      expect(typeof detail).toBe("string");
    }
    expect(JSON.stringify(detail).slice(0, 2000)).toMatch(c.detail);
  });

  it.each(graphqlCases)("GraphQL $name", async (c) => {
    const method = c.method ?? "POST";
    const accept = "application/graphql-response+json, application/json";
    const reply =
      method === "GET"
        ? await call("GET", c.path ?? "/graphql", undefined, { accept })
        : await call(method, "/graphql", typeof c.body === "string" ? withFixture(c.body) : c.body, {
            accept,
            ...(c.contentType === null ? {} : { "content-type": c.contentType ?? JSON_TYPE }),
          });
    expect(reply.status, reply.text.slice(0, 300)).toBeGreaterThanOrEqual(200);
    expect(reply.status, reply.text.slice(0, 300)).toBeLessThan(500);
    const { errors } = reply.json as { errors?: { message: string; extensions?: { code?: string } }[] };
    expect(errors?.length, reply.text.slice(0, 300)).toBeGreaterThan(0);
    for (const error of errors ?? []) {
      expect(error.extensions?.code, error.message).toEqual(expect.any(String));
      expect(error.extensions?.code).not.toBe("INTERNAL_SERVER_ERROR");
    }
    expect(errors?.[0]?.extensions?.code, errors?.[0]?.message).toBe(c.code);
    expect(errors?.map((e) => e.message).join("\n")).toMatch(c.message);
  });
});

describe("hostile but valid input", () => {
  const HOSTILE_NAMES = [
    "'; DROP TABLE workflows; --",
    "<script>alert(1)</script>",
    "{{__proto__}} {{constructor.name}}",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the text itself is the point
    "${process.env.DATABASE_URL}",
    "../../etc/passwd",
    "\u202eevil\u202c",
    "😀 ünïcödé",
  ];

  it.each(HOSTILE_NAMES)("stores the name %j as it is, over REST and GraphQL", async (name) => {
    const created = await call("POST", "/workflows", json({ name, description: name }));
    expect(created.status).toBe(200);
    const read = await call("GET", `/workflows/${(created.json as { id: string }).id}`);
    expect(read.json).toMatchObject({ name, description: name });
    const viaGraphQL = await call("POST", "/graphql", json({ query: CREATE, variables: { input: { name } } }));
    expect(viaGraphQL.json).toMatchObject({ data: { createWorkflow: { id: expect.any(String) } } });
  });

  it("accepts templates and events that reach for __proto__ without polluting anything", async () => {
    const graph = fanOut(notify("a", "{{payload.__proto__.polluted}} {{payload.constructor.name}}"));
    const created = await call(
      "POST",
      "/workflows",
      json({ name: "Proto", trigger: { "==": [{ var: "__proto__" }, 1] }, graph }),
    );
    expect(created.status).toBe(200);
    const sent = await call(
      "POST",
      "/events",
      '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}',
    );
    expect(sent.status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
  });
});

describe("after the corpus", () => {
  it("the server still answers, a valid request still works, and nothing was logged as unexpected", async () => {
    expect((await call("GET", "/healthz")).status).toBe(200);
    expect((await call("GET", "/readyz")).status).toBe(200);
    const created = await call("POST", "/workflows", json({ name: "Still fine", graph: notificationChain(3) }));
    expect(created.status).toBe(200);
    const listed = await call(
      "POST",
      "/graphql",
      json({ query: '{ workflow(id: "{workflow}") { id name } }'.replace("{workflow}", fixture.workflow) }),
    );
    expect(listed.json).toEqual({ data: { workflow: { id: fixture.workflow, name: "Fixture" } } });
    const unexpected = logLines.filter((line) => /unexpected (REST|GraphQL) error/.test(line));
    expect(unexpected).toEqual([]);
    expect(Object.prototype).not.toHaveProperty("polluted");
  });
});

describe("graph size limits come from MAX_GRAPH_NODES and MAX_GRAPH_EDGES", () => {
  let small: TestEngine;
  let smallApp: ReturnType<typeof createApp>;

  beforeAll(async () => {
    small = await startTestEngine(database.url, {
      worker: false,
      overrides: { MAX_GRAPH_NODES: "5", MAX_GRAPH_EDGES: "6" },
    });
    smallApp = createApp(small);
  });
  afterAll(async () => {
    await smallApp?.yoga.dispose();
    await small?.stop();
  });

  const post = async (path: string, body: unknown) => {
    const response = await smallApp.app.request(path, {
      method: "POST",
      body: json(body),
      headers: { "content-type": JSON_TYPE },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it("REST: saves a graph at the limit and refuses one node or edge more with 422 naming the setting", async () => {
    expect((await post("/workflows", { name: "five", graph: notificationChain(5) })).status).toBe(200);
    const tooMany = await post("/workflows", { name: "six", graph: notificationChain(6) });
    expect(tooMany).toEqual({
      status: 422,
      body: {
        detail: [
          {
            loc: ["body", "graph", "nodes"],
            msg: "too many nodes: 6; at most 5 are allowed (MAX_GRAPH_NODES)",
            type: "value_error",
          },
        ],
      },
    });
    const edges = [...notificationChain(5).edges, edge("start", "n2"), edge("start", "n3"), edge("start", "n4")];
    const tooManyEdges = await post("/workflows", { name: "edges", graph: { ...notificationChain(5), edges } });
    expect(tooManyEdges.status).toBe(422);
    expect(JSON.stringify(tooManyEdges.body)).toContain("too many edges: 7; at most 6 are allowed (MAX_GRAPH_EDGES)");
  });

  it("GraphQL: createWorkflow, updateWorkflow and validateWorkflow apply the same limits", async () => {
    const created = await post("/graphql", {
      query: CREATE,
      variables: { input: { name: "six", graph: notificationChain(6) } },
    });
    expect(created.body.errors).toMatchObject([
      {
        extensions: {
          code: "BAD_USER_INPUT",
          problems: [{ path: "graph.nodes", message: "too many nodes: 6; at most 5 are allowed (MAX_GRAPH_NODES)" }],
        },
      },
    ]);
    const ok = await post("/graphql", {
      query: CREATE,
      variables: { input: { name: "five", graph: notificationChain(5) } },
    });
    const id = (ok.body.data as { createWorkflow: { id: string } }).createWorkflow.id;
    const updated = await post("/graphql", {
      query: UPDATE,
      variables: { id, input: { graph: notificationChain(6) } },
    });
    expect(updated.body.errors).toMatchObject([{ extensions: { code: "BAD_USER_INPUT" } }]);
    const validated = await post("/graphql", {
      query: "query($g: JSON) { validateWorkflow(graph: $g) { valid problems { path message } } }",
      variables: { g: notificationChain(6) },
    });
    expect(validated.body.data).toEqual({
      validateWorkflow: {
        valid: false,
        problems: [{ path: "graph.nodes", message: "too many nodes: 6; at most 5 are allowed (MAX_GRAPH_NODES)" }],
      },
    });
  });
});
