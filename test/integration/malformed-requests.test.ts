/**
 * A corpus of malformed requests, over REST and GraphQL, through the whole HTTP
 * app (body limit, auth, routing, yoga) on a real engine. Every one must get a
 * clear client error: REST a 4xx whose JSON `detail` names the field or the
 * problem; GraphQL an error with an `extensions.code` that is not
 * INTERNAL_SERVER_ERROR. Never a 5xx, nothing logged as unexpected, and the
 * server still answers afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import type { Yoga } from "../../src/graphql/yoga.js";
import { useTestDatabase } from "../support/database.js";
import { capturingLogger, startTestEngine, type TestEngine } from "../support/engine.js";

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
  const workflow = await call("POST", "/workflows", JSON.stringify({ name: "Fixture", graph: chain(2) }));
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
// Building blocks

const node = (id: string, type: string, data: Record<string, unknown> = {}) => ({ id, type, data });
const edge = (source: string, target: string) => ({ id: `${source}-${target}`, source, target });
const notify = (id: string, message = "hi") => node(id, "send_notification", { toRole: "AE", message });
/** start and the given nodes, each joined to start. */
const fanOut = (...nodes: ReturnType<typeof node>[]) => ({
  nodes: [node("start", "start"), ...nodes],
  edges: nodes.map((n) => edge("start", n.id)),
});
/** start → n1 → … : `size` nodes. */
function chain(size: number) {
  const nodes = [node("start", "start"), ...Array.from({ length: size - 1 }, (_, i) => notify(`n${i + 1}`))];
  return { nodes, edges: nodes.slice(1).map((n, i) => edge(nodes[i]?.id as string, n.id)) };
}

const json = (value: unknown) => JSON.stringify(value);
/** 10,000 nested arrays: as text, since JSON.stringify itself cannot go that deep. */
const DEEP = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
const utf8 = (text: string) => new TextEncoder().encode(text);
const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(parts.flatMap((part) => (typeof part === "string" ? [...utf8(part)] : part)));
const ZERO_UUID = "00000000-0000-0000-0000-000000000000";
const RANDOM_UUID = "6f1c1f5e-8d43-4c3a-9a43-2b7c6f0e9d11";

/** Invalid UTF-8 byte sequences, each placed inside a JSON string. */
const BAD_UTF8: [string, number[]][] = [
  ["0xFF 0xFE", [0xff, 0xfe]],
  ["a lone continuation byte", [0x80]],
  ["an overlong NUL (C0 80)", [0xc0, 0x80]],
  ["a truncated 3-byte sequence", [0xe2, 0x82]],
  ["a UTF-8-encoded surrogate (ED A0 80)", [0xed, 0xa0, 0x80]],
];

/**
 * Graphs that must not save, as JSON text, with what the answer must say.
 * Used by REST POST /workflows and GraphQL createWorkflow alike.
 */
const BAD_GRAPHS: [string, string, RegExp][] = [
  ["nodes that are not an array", json({ nodes: "x", edges: [] }), /must be an array/],
  ["edges that are not an array", json({ nodes: [], edges: 5 }), /must be an array/],
  ["a node that is a number", json({ nodes: [5], edges: [] }), /must be an object with id, type and data/],
  ["a node that is null", json({ nodes: [null] }), /must be an object with id, type and data/],
  ["an edge that is null", json({ ...chain(2), edges: [null] }), /must be an object with source and target/],
  ["an empty node id", json(fanOut(notify(""))), /required: a non-empty string/],
  ["duplicate node ids", json(fanOut(notify("a"), notify("a"))), /duplicate node id \\?"a\\?"/],
  ["an unknown node type", json(fanOut(node("x", "send_fax"))), /unknown node type \\?"send_fax\\?"/],
  ["a node without a type", json({ nodes: [node("start", "start"), { id: "x" }], edges: [] }), /type.*required/],
  ["no entry node", json({ nodes: [notify("a")], edges: [] }), /no entry node/],
  ["two start nodes", json({ nodes: [node("s1", "start"), node("s2", "start")], edges: [] }), /exactly one start/],
  ["an edge to a missing node", json({ ...chain(2), edges: [edge("start", "ghost")] }), /\\?"ghost\\?" does not exist/],
  ["an edge from a missing node", json({ ...chain(2), edges: [edge("ghost", "n1")] }), /\\?"ghost\\?" does not exist/],
  ["a self-loop", json({ ...chain(2), edges: [edge("start", "n1"), edge("n1", "n1")] }), /to itself makes a cycle/],
  [
    "a cycle",
    json({ ...chain(3), edges: [edge("start", "n1"), edge("n1", "n2"), edge("n2", "n1")] }),
    /cycle detected: n1 → n2 → n1/,
  ],
  [
    "an unreachable node",
    json({ nodes: [...chain(2).nodes, notify("island")], edges: chain(2).edges }),
    /not reachable/,
  ],
  ["node data that is an array", json({ nodes: [{ id: "start", type: "start", data: [1] }] }), /must be an object/],
  [
    "a notification with a 201-character toRole",
    json(fanOut(node("a", "send_notification", { toRole: "r".repeat(201), message: "x" }))),
    /toRole.*at most 200 characters/,
  ],
  [
    "a notification with a numeric toRole",
    json(fanOut(node("a", "send_notification", { toRole: 7, message: "x" }))),
    /expected string/,
  ],
  ["an http_call without url", json(fanOut(node("h", "http_call", { method: "POST" }))), /url.*required/],
  ["an http_call to ftp://", json(fanOut(node("h", "http_call", { url: "ftp://x.test" }))), /http\(s\) URL/],
  [
    "an http_call with method FETCH",
    json(fanOut(node("h", "http_call", { method: "FETCH", url: "https://x.test" }))),
    /GET/,
  ],
  [
    "an http_call with timeoutMs -1",
    json(fanOut(node("h", "http_call", { url: "https://x.test", timeoutMs: -1 }))),
    /timeoutMs/,
  ],
  [
    "a delay with ms and until",
    json(fanOut(node("d", "delay", { ms: 1, until: "2030-01-01T00:00:00Z" }))),
    /at most one of ms, seconds or until/,
  ],
  ["a delay of -5 ms", json(fanOut(node("d", "delay", { ms: -5 }))), /ms/],
  ["a delay with ms and seconds", json(fanOut(node("d", "delay", { ms: 1, seconds: 1 }))), /at most one of/],
  ['a delay of "5" ms', json(fanOut(node("d", "delay", { ms: "5" }))), /expected number/],
  [
    "a branch with two else cases",
    json(fanOut(node("b", "branch", { cases: [{ else: true }, { else: true }] }))),
    /at most one case may be the else case/,
  ],
  [
    "a branch going to a missing node",
    json(fanOut(node("b", "branch", { cases: [{ else: true, next: "ghost" }] }))),
    /\\?"ghost\\?" does not exist/,
  ],
  [
    "a branch case without condition",
    json(fanOut(node("b", "branch", { cases: [{ label: "x" }] }))),
    /required unless the case is the else case/,
  ],
  [
    "a branch condition with an unknown operator",
    json(fanOut(node("b", "branch", { cases: [{ condition: { regex_match: [1] } }] }))),
    /unknown JSONLogic operator \\?"regex_match\\?"/,
  ],
  ["an unclosed template", json(fanOut(notify("a", "Hi {{ payload.name"))), /unclosed template/],
  ["an empty template", json(fanOut(notify("a", "{{ }}"))), /empty template/],
  ["a template reading secrets", json(fanOut(notify("a", "{{ secrets.key }}"))), /must start with one of payload/],
  ["the template {{__proto__}}", json(fanOut(notify("a", "{{__proto__}}"))), /must start with one of payload/],
  ["the template {{constructor.name}}", json(fanOut(notify("a", "{{constructor.name}}"))), /must start with one of/],
  ["the template {{payload..x}}", json(fanOut(notify("a", "{{payload..x}}"))), /malformed template reference/],
  ["a template naming a missing step", json(fanOut(notify("a", "{{steps.ghost.output}}"))), /names node \\?"ghost\\?"/],
  [
    "a template holding <script>",
    json(fanOut(notify("a", "{{<script>alert(1)</script>}}"))),
    /malformed template reference/,
  ],
  [
    "a template holding SQL",
    json(fanOut(notify("a", "{{payload.x'; DROP TABLE workflows; --}}"))),
    /malformed template reference/,
  ],
  [
    "a url template holding __proto__ in a header",
    json(fanOut(node("h", "http_call", { url: "https://x.test", headers: { a: "{{ __proto__.polluted }}" } }))),
    /must start with one of payload/,
  ],
  ["501 nodes", json(chain(501)), /too many nodes: 501; at most 500 are allowed \(MAX_GRAPH_NODES\)/],
  [
    "2001 edges",
    json({ ...chain(2), edges: Array.from({ length: 2001 }, () => edge("start", "n1")) }),
    /too many edges: 2001; at most 2000 are allowed \(MAX_GRAPH_EDGES\)/,
  ],
  [
    "node data nested 10,000 deep",
    `{"nodes":[{"id":"start","type":"start","data":{"x":${DEEP}}}]}`,
    /nested deeper than 100 levels/,
  ],
  ["a NUL in a node id", json(fanOut(notify("a\u0000b"))), /must not contain NUL/],
  [
    "an unpaired surrogate in a message",
    `{"nodes":[{"id":"start","type":"start","data":{"m":"\\udc00"}}]}`,
    /unpaired UTF-16 surrogates/,
  ],
  ["a NUL in a data key", json({ nodes: [node("start", "start", { "k\u0000": 1 })] }), /key must not contain NUL/],
  ["a graph that is an array", json([]), /valid dictionary|must be an object with nodes and edges/],
  ["a graph that is a string", json("graph"), /valid dictionary|must be an object with nodes and edges/],
  ["a graph that is a number", json(5), /valid dictionary|must be an object with nodes and edges/],
];

/** Triggers that must not save, as JSON text. */
const BAD_TRIGGERS: [string, string, RegExp][] = [
  ["a string", json("always"), /must be a JSONLogic rule object/],
  ["a number", json(5), /must be a JSONLogic rule object/],
  ["an array", json([1, 2]), /must be a JSONLogic rule object/],
  ["an unknown operator", json({ nope: [] }), /unknown JSONLogic operator \\?"nope\\?"/],
  ["two operators in one object", json({ "==": [1, 1], ">": [2, 1] }), /exactly one operator, found 2/],
  ["the removed log operator", json({ log: "x" }), /unknown JSONLogic operator \\?"log\\?"/],
  ["var with a boolean path", json({ var: true }), /var takes a path string or number/],
  ["an unknown operator inside and", json({ and: [{ frob: 1 }] }), /unknown JSONLogic operator \\?"frob\\?"/],
  ["__proto__ as an operator", `{"__proto__":[1]}`, /unknown JSONLogic operator \\?"__proto__\\?"/],
  ["constructor as an operator", json({ constructor: [1] }), /unknown JSONLogic operator \\?"constructor\\?"/],
  ["a rule as var's path", json({ "==": [{ var: { a: 1 } }, 1] }), /unknown JSONLogic operator \\?"a\\?"/],
  ["an unknown operator inside if", json({ if: [{ nope: 1 }, 1, 2] }), /unknown JSONLogic operator \\?"nope\\?"/],
  ["a method call", json({ method: ["x", "toString"] }), /unknown JSONLogic operator \\?"method\\?"/],
  ["and nested 10,000 deep", `{"and":${DEEP}}`, /nested deeper than 100 levels/],
  ["a NUL in a constant", json({ "==": [{ var: "a" }, "x\u0000"] }), /must not contain NUL/],
];

// ---------------------------------------------------------------------------
// REST cases

interface RestCase {
  name: string;
  method: string;
  path: string;
  body?: BodyInit;
  /** Content-Type sent with a body (default application/json); null sends none. */
  contentType?: string | null;
  headers?: Record<string, string>;
  status: number;
  /** What the answer's `detail` must say. */
  detail: RegExp;
}

const restCases: RestCase[] = [];
const rest = (c: Omit<RestCase, "name"> & { name?: string }) =>
  restCases.push({ ...c, name: `${c.method} ${c.path}: ${c.name ?? "?"}` });

// Bodies that are not a JSON object, or no JSON at all.
const NOT_AN_OBJECT: [string, string, number, RegExp][] = [
  ["an empty body", "", 422, /Field required/],
  ["a body of spaces", "   \n", 422, /Field required/],
  ["null", "null", 422, /valid dictionary/],
  ["a number", "5", 422, /valid dictionary/],
  ["a string", '"workflow"', 422, /valid dictionary/],
  ["true", "true", 422, /valid dictionary/],
  ["an empty array", "[]", 422, /valid dictionary/],
  ["an array of objects", '[{"name":"x"}]', 422, /valid dictionary/],
  ["an unclosed object", "{", 422, /JSON decode error/],
  ["a cut-off body", '{"name":', 422, /JSON decode error/],
  ["single quotes", "{'name':'x'}", 422, /JSON decode error/],
  ["a trailing comma", '{"name":"x",}', 422, /JSON decode error/],
  ["NaN", '{"name":NaN}', 422, /JSON decode error/],
  ["a comment", '{"name":"x"} // hi', 422, /JSON decode error/],
  ["unquoted keys", '{name:"x"}', 422, /JSON decode error/],
  ["10,000 nested arrays", DEEP, 422, /nested deeper than 100 levels/],
];
for (const path of ["/workflows", "/events", "/executions"]) {
  for (const [name, body, status, detail] of NOT_AN_OBJECT) rest({ method: "POST", path, name, body, status, detail });
}
for (const [name, body, status, detail] of NOT_AN_OBJECT.slice(0, 10)) {
  rest({ method: "PUT", path: "/workflows/{workflow}", name, body, status, detail });
}

// Bodies that do not say they are JSON (a cross-site form or no-cors fetch sends these without
// asking): 415 before the body is read, naming the type to send. Then bytes that are not UTF-8.
const NOT_JSON_TYPES = [
  "text/plain",
  "text/plain; charset=utf-8",
  "text/html",
  "application/xml",
  "multipart/form-data; boundary=x",
  "application/x-www-form-urlencoded",
  "application/jsonp",
  "application/graphql",
  "image/png",
];
for (const [method, path] of [
  ["POST", "/workflows"],
  ["POST", "/events"],
  ["POST", "/executions"],
  ["PUT", "/workflows/{workflow}"],
] as const) {
  for (const type of NOT_JSON_TYPES) {
    rest({
      method,
      path,
      name: `Content-Type ${type}`,
      body: '{"name":"x"}',
      contentType: type,
      status: 415,
      detail: /is not accepted: send the body as application\/json/,
    });
  }
  rest({
    method,
    path,
    name: "no Content-Type",
    // Bytes: a string body would get text/plain from fetch.
    body: utf8('{"name":"x"}'),
    contentType: null,
    status: 415,
    detail: /Content-Type is missing: send the body as application\/json/,
  });
}
for (const path of ["/workflows", "/events", "/executions"]) {
  for (const [name, sequence] of BAD_UTF8) {
    rest({
      method: "POST",
      path,
      name: `invalid UTF-8: ${name}`,
      body: bytes('{"name":"', sequence, '"}'),
      status: 422,
      detail: /not valid UTF-8/,
    });
  }
  rest({
    method: "POST",
    path,
    name: "a body over MAX_REQUEST_BYTES",
    body: json({ name: "x".repeat(2_100_000) }),
    status: 413,
    detail: /larger than 2000000 bytes/,
  });
}

// Fields of the wrong type, missing, too long, or holding what the database cannot store.
const BAD_WORKFLOW_FIELDS: [string, string, RegExp][] = [
  ["no name", json({}), /name.*Field required/],
  ["a null name", json({ name: null }), /name.*valid string/],
  ["a numeric name", json({ name: 5 }), /name.*valid string/],
  ["a boolean name", json({ name: true }), /name.*valid string/],
  ["an array name", json({ name: ["x"] }), /name.*valid string/],
  ["an object name", json({ name: { first: "x" } }), /name.*valid string/],
  ["an empty name", json({ name: "" }), /name/],
  ["a name of spaces", json({ name: "   " }), /name.*required/],
  ["a 201-character name", json({ name: "x".repeat(201) }), /name.*at most 200 characters/],
  ["a 1,000,000-character name", json({ name: "x".repeat(1_000_000) }), /name.*at most 200 characters/],
  ["a NUL in the name", json({ name: "a\u0000b" }), /name.*must not contain NUL/],
  ["an unpaired surrogate in the name", '{"name":"\\ud800x"}', /name.*unpaired UTF-16 surrogates/],
  ["a numeric description", json({ name: "x", description: 5 }), /description.*valid string/],
  ["an array description", json({ name: "x", description: [] }), /description.*valid string/],
  ['is_active "yes"', json({ name: "x", is_active: "yes" }), /is_active.*valid boolean/],
  ["is_active 1", json({ name: "x", is_active: 1 }), /is_active.*valid boolean/],
  ["is_active null", json({ name: "x", is_active: null }), /is_active.*valid boolean/],
  ["a null graph", json({ name: "x", graph: null }), /graph.*valid dictionary/],
  ["a string definition", json({ name: "x", definition: "x" }), /definition.*valid dictionary/],
  [
    "a definition with a cycle",
    json({ name: "x", definition: { ...chain(3), edges: [edge("start", "n1"), edge("n1", "n2"), edge("n2", "n1")] } }),
    /definition.*cycle detected/,
  ],
];
for (const [name, body, detail] of BAD_WORKFLOW_FIELDS) {
  rest({ method: "POST", path: "/workflows", name, body, status: 422, detail });
  rest({ method: "PUT", path: "/workflows/{workflow}", name, body, status: 422, detail });
}
for (const [name, graph, detail] of BAD_GRAPHS) {
  rest({
    method: "POST",
    path: "/workflows",
    name: `graph with ${name}`,
    body: `{"name":"x","graph":${graph}}`,
    status: 422,
    detail,
  });
}
for (const [name, graph, detail] of BAD_GRAPHS.slice(0, 12)) {
  rest({
    method: "PUT",
    path: "/workflows/{workflow}",
    name: `graph with ${name}`,
    body: `{"name":"x","graph":${graph}}`,
    status: 422,
    detail,
  });
}
for (const [name, trigger, detail] of BAD_TRIGGERS) {
  rest({
    method: "POST",
    path: "/workflows",
    name: `trigger: ${name}`,
    body: `{"name":"x","trigger":${trigger}}`,
    status: 422,
    detail,
  });
}

// Ids that name nothing: well-formed UUIDs, garbage, injection attempts.
const UNKNOWN_IDS: [string, string][] = [
  ["the zero UUID", ZERO_UUID],
  ["a random UUID", RANDOM_UUID],
  ["garbage", "garbage"],
  ["SQL", "' OR '1'='1"],
  ["a SQL statement", "1; DROP TABLE workflows; --"],
  ["<script>", "<script>alert(1)</script>"],
  ["{{__proto__}}", "{{__proto__}}"],
  ["__proto__", "__proto__"],
  ["a path traversal", "../../etc/passwd"],
  ["5,000 characters", "x".repeat(5_000)],
];
const ID_ROUTES: [string, (id: string) => string, string | undefined, RegExp][] = [
  ["GET", (id) => `/workflows/${id}`, undefined, /^"Workflow not found"$/],
  ["DELETE", (id) => `/workflows/${id}`, undefined, /^"Workflow not found"$/],
  ["PUT", (id) => `/workflows/${id}`, json({ name: "x" }), /^"Workflow not found"$/],
  ["GET", (id) => `/executions/${id}`, undefined, /^"Execution not found"$/],
  ["GET", (id) => `/executions/${id}/steps`, undefined, /^"Execution not found"$/],
];
for (const [method, path, body, detail] of ID_ROUTES) {
  for (const [name, id] of UNKNOWN_IDS) {
    rest({ method, path: path(encodeURIComponent(id)), name: `unknown id: ${name}`, body, status: 404, detail });
  }
  rest({ method, path: path("%00"), name: "a NUL id", body, status: 422, detail: /path.*id.*must not contain NUL/ });
}

// Starting executions and sending events.
const BAD_EXECUTIONS: [string, string, number, RegExp][] = [
  ["no workflow_id", json({}), 422, /workflow_id.*Field required/],
  ["a numeric workflow_id", json({ workflow_id: 5 }), 422, /workflow_id.*valid string/],
  ["an empty workflow_id", json({ workflow_id: "" }), 422, /workflow_id/],
  ["a null workflow_id", json({ workflow_id: null }), 422, /workflow_id.*valid string/],
  ["an unknown UUID", json({ workflow_id: ZERO_UUID }), 404, /Workflow not found/],
  ["a garbage workflow_id", json({ workflow_id: "garbage" }), 404, /Workflow not found/],
  ["a SQL workflow_id", json({ workflow_id: "' OR 1=1 --" }), 404, /Workflow not found/],
  ["a NUL workflow_id", json({ workflow_id: "\u0000" }), 422, /workflow_id.*must not contain NUL/],
  ["an array payload", json({ workflow_id: "{workflow}", payload: [1] }), 422, /payload.*valid dictionary/],
  ["a string payload", json({ workflow_id: "{workflow}", payload: "x" }), 422, /payload.*valid dictionary/],
  ["a null payload", json({ workflow_id: "{workflow}", payload: null }), 422, /payload.*valid dictionary/],
  [
    "a payload with NUL",
    json({ workflow_id: "{workflow}", payload: { a: "\u0000" } }),
    422,
    /payload.*must not contain NUL/,
  ],
  ["a payload 10,000 deep", `{"workflow_id":"{workflow}","payload":{"a":${DEEP}}}`, 422, /nested deeper than 100/],
  [
    "a payload over MAX_EVENT_BYTES",
    json({ workflow_id: "{workflow}", payload: { x: "x".repeat(1_100_000) } }),
    422,
    /too large: \d+ bytes, the limit is 1000000/,
  ],
];
for (const [name, body, status, detail] of BAD_EXECUTIONS) {
  rest({ method: "POST", path: "/executions", name, body, status, detail });
}

const BAD_EVENTS: [string, string, RegExp][] = [
  ["an array of events", json([{ a: 1 }]), /valid dictionary/],
  ["a NUL in a value", json({ lead: { title: "CEO\u0000" } }), /lead.*title.*must not contain NUL/],
  ["a NUL in a key", json({ "le\u0000ad": 1 }), /key must not contain NUL/],
  ["an unpaired high surrogate", '{"a":"\\ud800"}', /unpaired UTF-16 surrogates/],
  ["an unpaired low surrogate", '{"a":"x\\udfffy"}', /unpaired UTF-16 surrogates/],
  ["an object nested 101 deep", `${'{"a":'.repeat(101)}1${"}".repeat(101)}`, /nested deeper than 100 levels/],
  ["a payload over MAX_EVENT_BYTES", json({ x: "x".repeat(1_100_000) }), /too large: \d+ bytes, the limit is 1000000/],
];
for (const [name, body, detail] of BAD_EVENTS)
  rest({ method: "POST", path: "/events", name, body, status: 422, detail });
rest({
  method: "POST",
  path: "/events",
  name: "an Idempotency-Key of 300 characters",
  body: "{}",
  headers: { "idempotency-key": "k".repeat(300) },
  status: 422,
  detail: /"header","Idempotency-Key".*1 to 255 characters/,
});
rest({
  method: "GET",
  path: "/executions?workflow_id=%00",
  name: "a NUL in the workflow_id filter",
  status: 422,
  detail: /query.*workflow_id.*must not contain NUL/,
});

// Methods and routes that do not exist.
for (const [method, path] of [
  ["PATCH", "/workflows"],
  ["DELETE", "/workflows"],
  ["PUT", "/workflows"],
  ["POST", "/workflows/{workflow}"],
  ["PATCH", "/workflows/{workflow}"],
  ["GET", "/events"],
  ["PUT", "/events"],
  ["DELETE", "/executions"],
  ["POST", "/executions/{execution}"],
  ["POST", "/executions/{execution}/steps"],
]) {
  rest({
    method: method as string,
    path: path as string,
    name: "a method the route does not have",
    status: 405,
    detail: /Method Not Allowed/,
  });
}
for (const path of [
  "/nope",
  "/workflows/{workflow}/steps/extra",
  "/executions/{execution}/steps/1",
  "/graphql/extra",
  "/%2e%2e/etc/passwd",
]) {
  rest({ method: "GET", path, name: "an unknown route", status: 404, detail: /Not Found/ });
}

// ---------------------------------------------------------------------------
// GraphQL cases

interface GraphQLCase {
  name: string;
  /** A JSON body as text (so it may be malformed or nested deeper than JSON.stringify goes). */
  body: BodyInit;
  method?: string;
  /** For GET: the path with the query string. */
  path?: string;
  /** Content-Type of a POST (default application/json); null sends none. */
  contentType?: string | null;
  /** The code errors[0] must carry. */
  code: string;
  /** What some error's message must say. */
  message: RegExp;
}

const graphqlCases: GraphQLCase[] = [];
const gql = (name: string, code: string, message: RegExp, query: string, variables?: Record<string, unknown>) =>
  graphqlCases.push({ name, code, message, body: json({ query, variables }) });
/** Variables given as JSON text. */
const gqlRaw = (name: string, code: string, message: RegExp, query: string, variablesJson: string) =>
  graphqlCases.push({ name, code, message, body: `{"query":${json(query)},"variables":${variablesJson}}` });

const CREATE = "mutation($input: WorkflowInput!) { createWorkflow(input: $input) { id } }";
const UPDATE = "mutation($id: ID!, $input: WorkflowPatch!) { updateWorkflow(id: $id, input: $input) { id } }";

// Not GraphQL at all.
for (const query of [
  "{",
  "{ workflows(first: 1) { edges ",
  "query {",
  "}",
  "mutation",
  "{ workflows(first: ) { edges { node { id } } } }",
  "query Q($x: ) { nodeTypes { type } }",
  '{ workflow(id: "unterminated) { id } }',
  "{ nodeTypes { type } } }",
  "# only a comment",
  "{ nodeTypes { type } ",
  "SELECT * FROM workflows",
  "<script>alert(1)</script>",
  "{ nodeTypes { type } } \u0000",
  "{ nodeTypes(first: 1,,) { type ! } }",
]) {
  gql(`syntax error: ${json(query.slice(0, 40))}`, "GRAPHQL_PARSE_FAILED", /Syntax Error/, query);
}

// GraphQL, but not this schema's.
for (const [name, query, message] of [
  ["an unknown query field", "{ nope }", /Cannot query field "nope" on type "Query"/],
  ["an unknown nested field", "{ nodeTypes { type nope } }", /Cannot query field "nope"/],
  ["an unknown mutation", "mutation { dropTables }", /Cannot query field "dropTables" on type "Mutation"/],
  ["an unknown subscription", "subscription { nope }", /Cannot query field "nope"/],
  ["an unknown argument", '{ workflow(id: "x", extra: 1) { id } }', /Unknown argument "extra"/],
  ["a missing required argument", "{ workflow { id } }", /argument "id" of type "ID!" is required/],
  ["no selection on an object", "{ nodeTypes }", /must have a selection of subfields/],
  ["a selection on a scalar", "{ nodeTypes { type { x } } }", /must not have a selection/],
  ["a float for an ID", "{ workflow(id: 5.5) { id } }", /ID cannot represent/],
  ["a string for an Int", '{ workflows(first: "ten") { edges { node { id } } } }', /Int cannot represent/],
  ["a list for an ID", '{ workflow(id: ["x"]) { id } }', /ID cannot represent/],
  ["a string for a Boolean", '{ workflows(isActive: "yes") { edges { node { id } } } }', /Boolean cannot represent/],
  [
    "an unknown enum value",
    "{ executions(status: BOGUS) { edges { node { id } } } }",
    /does not exist in "ExecutionStatus"/,
  ],
  [
    "an input without its required name",
    "mutation { createWorkflow(input: {}) { id } }",
    /Field "WorkflowInput.name" of required type/,
  ],
  ["a numeric name literal", "mutation { createWorkflow(input: {name: 5}) { id } }", /String cannot represent/],
  [
    "an unknown input field",
    'mutation { createWorkflow(input: {name: "x", bogus: 1}) { id } }',
    /"bogus" is not defined/,
  ],
  ["an undefined variable", "{ workflow(id: $x) { id } }", /Variable "\$x" is not defined/],
  ["an unused variable", "query($x: ID) { nodeTypes { type } }", /Variable "\$x" is never used/],
  ["an unknown variable type", "query($x: Bogus) { nodeTypes { type } }", /Unknown type "Bogus"/],
  [
    "a subscription with two root fields",
    "subscription { a: executionsChanged { id } b: executionsChanged { id } }",
    /must select only one top level field/,
  ],
  ["a fragment on an unknown type", "{ ...F } fragment F on Bogus { id }", /Unknown type "Bogus"/],
  [
    "an unused fragment",
    "{ nodeTypes { type } } fragment F on Query { nodeTypes { type } }",
    /Fragment "F" is never used/,
  ],
  [
    "fragments that spread each other",
    "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
    /Cannot spread fragment "A" within itself/,
  ],
  ["an unknown directive", "{ nodeTypes @bogus { type } }", /Unknown directive "@bogus"/],
] as [string, string, RegExp][]) {
  gql(name, "GRAPHQL_VALIDATION_FAILED", message, query);
}

// Variables of the wrong type.
const BY_ID = "query($id: ID!) { workflow(id: $id) { id } }";
const PAGE =
  "query($first: Int, $active: Boolean) { workflows(first: $first, isActive: $active) { edges { node { id } } } }";
const BY_STATUS = "query($s: ExecutionStatus) { executions(status: $s) { edges { node { id } } } }";
for (const [name, query, variables, message] of [
  ["an object for ID!", BY_ID, { id: { a: 1 } }, /Variable "\$id" got invalid value/],
  ["a list for ID!", BY_ID, { id: [1] }, /Variable "\$id" got invalid value/],
  ["a boolean for ID!", BY_ID, { id: true }, /Variable "\$id" got invalid value/],
  ["a float for ID!", BY_ID, { id: 1.5 }, /Variable "\$id" got invalid value/],
  ["null for ID!", BY_ID, { id: null }, /"\$id" of non-null type "ID!" must not be null/],
  ["no value for ID!", BY_ID, {}, /"\$id" of required type "ID!" was not provided/],
  ["a string for Int", PAGE, { first: "ten" }, /Int cannot represent/],
  ["a float for Int", PAGE, { first: 1.5 }, /Int cannot represent/],
  ["2^40 for Int", PAGE, { first: 2 ** 40 }, /non 32-bit signed integer/],
  ["a negative page size", PAGE, { first: -1 }, /non-negative integer/],
  ['"yes" for Boolean', PAGE, { active: "yes" }, /Boolean cannot represent/],
  ["1 for Boolean", PAGE, { active: 1 }, /Boolean cannot represent/],
  ["an unknown status", BY_STATUS, { s: "BOGUS" }, /does not exist in "ExecutionStatus"/],
  ["a lower-case status", BY_STATUS, { s: "succeeded" }, /does not exist in "ExecutionStatus"/],
  ["a numeric status", BY_STATUS, { s: 5 }, /Enum "ExecutionStatus" cannot represent/],
  ["a string input", CREATE, { input: "x" }, /Expected type "WorkflowInput" to be an object/],
  ["a list input", CREATE, { input: [] }, /to be an object/],
  ["an input without name", CREATE, { input: {} }, /Field "name" of required type "String!" was not provided/],
  ["a numeric name", CREATE, { input: { name: 5 } }, /String cannot represent/],
  ["a null name", CREATE, { input: { name: null } }, /"name".*must not be null|non-null/],
  ['isActive "yes"', CREATE, { input: { name: "x", isActive: "yes" } }, /Boolean cannot represent/],
  ["an unknown input field", CREATE, { input: { name: "x", nope: 1 } }, /Field "nope" is not defined/],
  ["a numeric description", CREATE, { input: { name: "x", description: 5 } }, /String cannot represent/],
  ["null for JSON!", "mutation($p: JSON!) { sendEvent(payload: $p) { matched } }", { p: null }, /must not be null/],
  [
    "an invalid cursor",
    '{ workflows(first: 1, after: "garbage") { edges { node { id } } } }',
    undefined,
    /Invalid cursor/,
  ],
  [
    "an invalid executions cursor",
    '{ executions(after: "garbage") { edges { node { id } } } }',
    undefined,
    /Invalid cursor/,
  ],
  ["an invalid events cursor", '{ events(after: "garbage") { edges { node { id } } } }', undefined, /Invalid cursor/],
] as [string, string, Record<string, unknown> | undefined, RegExp][]) {
  gql(`variables: ${name}`, "BAD_USER_INPUT", message, query, variables);
}

// Definitions the services refuse.
for (const [name, graph, message] of BAD_GRAPHS) {
  gqlRaw(
    `createWorkflow: graph with ${name}`,
    "BAD_USER_INPUT",
    message,
    CREATE,
    `{"input":{"name":"x","graph":${graph}}}`,
  );
}
for (const [name, graph, message] of BAD_GRAPHS.slice(0, 12)) {
  gqlRaw(
    `updateWorkflow: graph with ${name}`,
    "BAD_USER_INPUT",
    message,
    UPDATE,
    `{"id":"{workflow}","input":{"graph":${graph}}}`,
  );
}
for (const [name, trigger, message] of BAD_TRIGGERS) {
  gqlRaw(
    `createWorkflow: trigger: ${name}`,
    "BAD_USER_INPUT",
    message,
    CREATE,
    `{"input":{"name":"x","trigger":${trigger}}}`,
  );
}
for (const [name, input, message] of [
  ["an empty name", { name: "" }, /name: required/],
  ["a name of spaces", { name: " \t " }, /name: required/],
  ["a 201-character name", { name: "x".repeat(201) }, /name: at most 200 characters/],
  ["a 1,000,000-character name", { name: "x".repeat(1_000_000) }, /name: at most 200 characters/],
  ["a NUL in the name", { name: "a\u0000b" }, /must not contain NUL/],
  ["a NUL in the description", { name: "x", description: "\u0000" }, /must not contain NUL/],
] as [string, Record<string, unknown>, RegExp][]) {
  gql(`createWorkflow: ${name}`, "BAD_USER_INPUT", message, CREATE, { input });
}
gql("updateWorkflow: an empty name", "BAD_USER_INPUT", /name: required/, UPDATE, {
  id: "{workflow}",
  input: { name: "" },
});
const SEND = "mutation($p: JSON!, $k: String) { sendEvent(payload: $p, idempotencyKey: $k) { matched } }";
const SIMULATE = "query($p: JSON!) { simulateEvent(payload: $p) { id } }";
const START = "mutation($id: ID!, $p: JSON) { startExecution(workflowId: $id, payload: $p) { id } }";
for (const [name, payload, message] of [
  ["a number", 5, /payload: must be a JSON object/],
  ["a string", "event", /payload: must be a JSON object/],
  ["a list", [{ a: 1 }], /payload: must be a JSON object/],
  ["a NUL in a value", { a: "\u0000" }, /must not contain NUL/],
  ["a payload over MAX_EVENT_BYTES", { x: "x".repeat(1_100_000) }, /too large: \d+ bytes, the limit is 1000000/],
] as [string, unknown, RegExp][]) {
  gql(`sendEvent: ${name}`, "BAD_USER_INPUT", message, SEND, { p: payload });
  gql(`simulateEvent: ${name}`, "BAD_USER_INPUT", message, SIMULATE, { p: payload });
  gql(`startExecution: ${name}`, "BAD_USER_INPUT", message, START, { id: "{workflow}", p: payload });
}
gqlRaw(
  "sendEvent: a payload 10,000 deep",
  "BAD_USER_INPUT",
  /nested deeper than 100 levels/,
  SEND,
  `{"p":{"a":${DEEP}}}`,
);
gqlRaw(
  "sendEvent: an unpaired surrogate",
  "BAD_USER_INPUT",
  /unpaired UTF-16 surrogates/,
  SEND,
  `{"p":{"a":"\\ud800"}}`,
);
gqlRaw(
  "validateWorkflow: a graph 10,000 deep",
  "BAD_USER_INPUT",
  /nested deeper than 100 levels/,
  "query($g: JSON) { validateWorkflow(graph: $g) { valid } }",
  `{"g":{"nodes":${DEEP}}}`,
);
gql(
  "sendEvent: an idempotency key of 300 characters",
  "BAD_USER_INPUT",
  /idempotencyKey: must be 1 to 255 characters/,
  SEND,
  { p: {}, k: "k".repeat(300) },
);
gql("sendEvent: a NUL in the idempotency key", "BAD_USER_INPUT", /must not contain NUL/, SEND, { p: {}, k: "k\u0000" });

// Ids that name nothing.
const ID_OPERATIONS: [string, string, string][] = [
  ["workflow", "query($id: ID!) { workflow(id: $id) { id } }", "Workflow not found"],
  ["execution", "query($id: ID!) { execution(id: $id) { id } }", "Execution not found"],
  ["updateWorkflow", 'mutation($id: ID!) { updateWorkflow(id: $id, input: {name: "x"}) { id } }', "Workflow not found"],
  ["deleteWorkflow", "mutation($id: ID!) { deleteWorkflow(id: $id) { id } }", "Workflow not found"],
  ["startExecution", "mutation($id: ID!) { startExecution(workflowId: $id) { id } }", "Workflow not found"],
  ["cancelExecution", "mutation($id: ID!) { cancelExecution(id: $id) { id } }", "Execution not found"],
  ["retryExecution", "mutation($id: ID!) { retryExecution(id: $id) { id } }", "Execution not found"],
];
for (const [operation, query, message] of ID_OPERATIONS) {
  for (const [name, id] of UNKNOWN_IDS.filter(([, id]) => id.length < 100).slice(0, 6)) {
    gql(`${operation}: unknown id: ${name}`, "NOT_FOUND", new RegExp(message), query, { id });
  }
  gql(`${operation}: a NUL id`, "BAD_USER_INPUT", /must not contain NUL/, query, { id: "\u0000" });
}
gql(
  "executions: a NUL workflowId filter",
  "BAD_USER_INPUT",
  /must not contain NUL/,
  "query($id: ID) { executions(workflowId: $id) { edges { node { id } } } }",
  { id: "\u0000" },
);

// Bombs: queries built to cost the server.
const level = (inner: string) => `executions(first: 1) { edges { node { workflow { ${inner} } } } }`;
const aliases = (count: number) =>
  `{ ${Array.from({ length: count }, (_, i) => `a${i}: nodeTypes { type }`).join(" ")} }`;
for (const [name, query, code, message] of [
  [
    "a query 17 levels deep",
    `{ ${level(level(level(level("id"))))} }`,
    "GRAPHQL_VALIDATION_FAILED",
    /^query depth 17 exceeds the limit of 12 \(GRAPHQL_MAX_DEPTH\)$/,
  ],
  [
    "a query 80 levels deep",
    `{ ${Array.from({ length: 20 }, () => "").reduce((inner) => level(inner), "id")} }`,
    "GRAPHQL_VALIDATION_FAILED",
    /depth|cost/i,
  ],
  ["16 aliases", aliases(16), "GRAPHQL_VALIDATION_FAILED", /^query has 16 aliases, more than the limit of 15/],
  ["500 aliases", aliases(500), "GRAPHQL_VALIDATION_FAILED", /^query has 500 aliases, more than the limit of 15/],
  [
    "5,001 tokens",
    `{ ${"nodeTypes { type } ".repeat(1_300)} }`,
    "GRAPHQL_PARSE_FAILED",
    /^query has more than 5000 tokens/,
  ],
  [
    "30 directives",
    `{ nodeTypes ${"@skip(if: false) ".repeat(30)} { type } }`,
    "GRAPHQL_VALIDATION_FAILED",
    /^query has 30 directives, more than the limit of 20$/,
  ],
  [
    "a page of 100,000,000",
    "{ workflows(first: 100000000) { edges { node { id } } } }",
    "GRAPHQL_VALIDATION_FAILED",
    /^(?!Syntax Error).*cost.*5000/i,
  ],
  [
    "nested pages",
    "{ workflows(first: 100) { edges { node { executions(first: 100) { edges { node { steps { id } } } } } } } }",
    "GRAPHQL_VALIDATION_FAILED",
    /^(?!Syntax Error).*cost.*5000/i,
  ],
] as [string, string, string, RegExp][]) {
  gql(`bomb: ${name}`, code, message, query);
}

// Requests yoga refuses before GraphQL sees them.
const transport = (name: string, code: string, message: RegExp, body: BodyInit, extra: Partial<GraphQLCase> = {}) =>
  graphqlCases.push({ name: `transport: ${name}`, code, message, body, ...extra });
transport("invalid JSON", "BAD_REQUEST", /POST body sent invalid JSON/, "{");
transport("an empty body", "BAD_REQUEST", /POST body sent invalid JSON/, "");
transport("a JSON number", "BAD_REQUEST", /POST body is expected to be object/, "5");
transport("a JSON string", "BAD_REQUEST", /POST body is expected to be object/, '"{ nodeTypes { type } }"');
transport("no query", "BAD_REQUEST", /Must provide query string/, "{}");
transport("a numeric query", "BAD_REQUEST", /Expected "query" param to be a string/, json({ query: 5 }));
transport(
  "variables that are a string",
  "BAD_REQUEST",
  /"variables" param to be empty or an object/,
  json({ query: "{ nodeTypes { type } }", variables: "x" }),
);
transport(
  "variables that are a list",
  "BAD_REQUEST",
  /"variables" param to be empty or an object/,
  json({ query: "{ nodeTypes { type } }", variables: [1] }),
);
transport(
  "a numeric operationName",
  "OPERATION_RESOLUTION_FAILURE",
  /Could not determine what operation/,
  json({ query: "{ nodeTypes { type } }", operationName: 5 }),
);
transport("a batch", "BAD_REQUEST", /Batching is not supported/, json([{ query: "{ nodeTypes { type } }" }]));
transport(
  "an unknown parameter",
  "BAD_REQUEST",
  /Unexpected parameter "bogus"/,
  json({ query: "{ nodeTypes { type } }", bogus: 1 }),
);
transport(
  "two operations and no operationName",
  "OPERATION_RESOLUTION_FAILURE",
  /Could not determine what operation/,
  json({ query: "query A { nodeTypes { type } } query B { nodeTypes { type } }" }),
);
transport(
  "an operationName that is not in the document",
  "OPERATION_RESOLUTION_FAILURE",
  /Could not determine what operation/,
  json({ query: "query A { nodeTypes { type } }", operationName: "B" }),
);
transport("a mutation over GET", "BAD_REQUEST", /Can only perform a mutation operation from a POST request/, "", {
  method: "GET",
  path: `/graphql?query=${encodeURIComponent('mutation { deleteWorkflow(id: "x") { id } }')}`,
});
transport("PUT", "BAD_REQUEST", /only supports GET and POST/, json({ query: "{ nodeTypes { type } }" }), {
  method: "PUT",
});
transport("DELETE", "BAD_REQUEST", /only supports GET and POST/, "", { method: "DELETE" });
// Only JSON bodies: what a cross-site form or no-cors fetch sends is refused before yoga reads it.
const MUTATION = json({ query: 'mutation { createWorkflow(input: {name: "cross-site"}) { id } }' });
for (const type of NOT_JSON_TYPES) {
  transport(
    `Content-Type ${type}`,
    "BAD_REQUEST",
    /is not accepted: send the operation as application\/json$/,
    MUTATION,
    {
      contentType: type,
    },
  );
}
transport(
  "no Content-Type",
  "BAD_REQUEST",
  /^Content-Type is missing: send the operation as application\/json$/,
  utf8(MUTATION),
  {
    contentType: null,
  },
);
transport(
  "a JSON type yoga does not read",
  "BAD_REQUEST",
  /"application\/vnd.api\+json" is not accepted: send the operation as application\/json$/,
  MUTATION,
  { contentType: "application/vnd.api+json" },
);
for (const [name, sequence] of BAD_UTF8) {
  transport(
    `invalid UTF-8: ${name}`,
    "BAD_REQUEST",
    /not valid UTF-8/,
    bytes('{"query":"{ nodeTypes { type } }","variables":{"x":"', sequence, '"}}'),
  );
}

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
    const created = await call("POST", "/workflows", json({ name: "Still fine", graph: chain(3) }));
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
    expect((await post("/workflows", { name: "five", graph: chain(5) })).status).toBe(200);
    const tooMany = await post("/workflows", { name: "six", graph: chain(6) });
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
    const edges = [...chain(5).edges, edge("start", "n2"), edge("start", "n3"), edge("start", "n4")];
    const tooManyEdges = await post("/workflows", { name: "edges", graph: { ...chain(5), edges } });
    expect(tooManyEdges.status).toBe(422);
    expect(JSON.stringify(tooManyEdges.body)).toContain("too many edges: 7; at most 6 are allowed (MAX_GRAPH_EDGES)");
  });

  it("GraphQL: createWorkflow, updateWorkflow and validateWorkflow apply the same limits", async () => {
    const created = await post("/graphql", { query: CREATE, variables: { input: { name: "six", graph: chain(6) } } });
    expect(created.body.errors).toMatchObject([
      {
        extensions: {
          code: "BAD_USER_INPUT",
          problems: [{ path: "graph.nodes", message: "too many nodes: 6; at most 5 are allowed (MAX_GRAPH_NODES)" }],
        },
      },
    ]);
    const ok = await post("/graphql", { query: CREATE, variables: { input: { name: "five", graph: chain(5) } } });
    const id = (ok.body.data as { createWorkflow: { id: string } }).createWorkflow.id;
    const updated = await post("/graphql", { query: UPDATE, variables: { id, input: { graph: chain(6) } } });
    expect(updated.body.errors).toMatchObject([{ extensions: { code: "BAD_USER_INPUT" } }]);
    const validated = await post("/graphql", {
      query: "query($g: JSON) { validateWorkflow(graph: $g) { valid problems { path message } } }",
      variables: { g: chain(6) },
    });
    expect(validated.body.data).toEqual({
      validateWorkflow: {
        valid: false,
        problems: [{ path: "graph.nodes", message: "too many nodes: 6; at most 5 are allowed (MAX_GRAPH_NODES)" }],
      },
    });
  });
});
