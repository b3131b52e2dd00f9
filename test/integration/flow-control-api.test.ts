/**
 * Flow control as clients see it, over a real server: the workflow fields in
 * GraphQL (typed) and REST (snake_case), every bad value refused with the
 * field named, an execution waiting in line explained (Execution.waitingFor),
 * explainEvent.limits, and the capacity gauges of /metrics.
 */
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitForExecution, waitUntil } from "../support/engine.js";
import { TestHttpServer } from "../support/http-server.js";
import { requestServed } from "../support/rest.js";
import { useServedEngine } from "../support/served-engine.js";

const served = useServedEngine({ worker: true });
const calls = new TestHttpServer();
const held: ServerResponse[] = [];

beforeAll(async () => {
  await calls.start();
  calls.route("/hold", (_req, res) => held.push(res));
});
afterAll(async () => {
  for (const res of held) res.end("{}");
  await calls.stop();
});

const request = (method: string, path: string, body?: unknown) => requestServed(served.server.url, method, path, body);

// biome-ignore lint/suspicious/noExplicitAny: GraphQL responses are shaped per query and checked by assertions
async function graphql(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  return (await request("POST", "/graphql", { query, variables })).body;
}

const FIELDS =
  "id concurrency { key limit strategy } rateLimit { key limit periodMs mode } debounce { key periodMs maxDelayMs use } priority";

describe("flow control fields", () => {
  it("are saved, read back and patched over GraphQL", async () => {
    const input = {
      name: "syncs",
      concurrency: [{ key: "{{payload.customerId}}", limit: 1 }, { limit: 20 }],
      rateLimit: { limit: 20, periodMs: 1000 },
      priority: "{{payload.priority}}",
    };
    const created = await graphql(`mutation ($input: WorkflowInput!) { createWorkflow(input: $input) { ${FIELDS} } }`, {
      input,
    });
    expect(created.data.createWorkflow).toMatchObject({
      concurrency: [
        { key: "{{payload.customerId}}", limit: 1, strategy: "queue" },
        { key: null, limit: 20, strategy: "queue" },
      ],
      rateLimit: { key: null, limit: 20, periodMs: 1000, mode: "throttle" },
      debounce: null,
      priority: "{{payload.priority}}",
    });
    // A single limit is a list of one (GraphQL input coercion); a field left out keeps its value.
    const patched = await graphql(
      `mutation ($id: ID!, $input: WorkflowPatch!) { updateWorkflow(id: $id, input: $input) { ${FIELDS} } }`,
      { id: created.data.createWorkflow.id, input: { concurrency: { limit: 3, strategy: "skip" }, rateLimit: null } },
    );
    expect(patched.data.updateWorkflow).toMatchObject({
      concurrency: [{ key: null, limit: 3, strategy: "skip" }],
      rateLimit: null,
      priority: "{{payload.priority}}",
    });
  });

  it("refuses bad values, naming each field (GraphQL BAD_USER_INPUT, REST 422 in snake_case)", async () => {
    const bad = await graphql(`mutation ($input: WorkflowInput!) { createWorkflow(input: $input) { id } }`, {
      input: {
        name: "bad",
        concurrency: [{ limit: 0 }, { key: "{{nope.x}}", limit: 2, strategy: "later" }],
        rateLimit: { limit: 5, periodMs: 0, mode: "burst" },
        debounce: { periodMs: 1000, maxDelayMs: 10 },
        priority: 500,
      },
    });
    expect(bad.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    const paths = bad.errors[0].extensions.problems.map((p: { path: string }) => p.path).sort();
    expect(paths).toEqual([
      "concurrency[0].limit",
      "concurrency[1].key",
      "concurrency[1].strategy",
      "debounce.maxDelayMs",
      "priority",
      "rateLimit.mode",
      "rateLimit.periodMs",
    ]);

    const rest = await request("POST", "/workflows", {
      name: "bad",
      rate_limit: { limit: 5, period_ms: -1 },
      debounce: { period_ms: 100, use: "middle" },
    });
    expect(rest.status).toBe(422);
    expect(rest.body.detail.map((d: { loc: unknown[] }) => d.loc)).toEqual([
      ["body", "rate_limit", "period_ms"],
      ["body", "debounce", "use"],
    ]);
  });

  it("are saved and read back over REST in snake_case", async () => {
    const created = await request("POST", "/workflows", {
      name: "edits",
      concurrency: { key: "{{payload.doc}}", limit: 2, strategy: "cancel_in_progress" },
      rate_limit: { limit: 10, period_ms: 60_000, mode: "drop" },
      debounce: { key: "{{payload.doc}}", period_ms: 5000, max_delay_ms: 30_000, use: "all" },
      priority: 10,
    });
    expect(created.status).toBe(200);
    const read = await request("GET", `/workflows/${created.body.id}`);
    expect(read.body).toMatchObject({
      concurrency: [{ key: "{{payload.doc}}", limit: 2, strategy: "cancel_in_progress" }],
      rate_limit: { key: null, limit: 10, period_ms: 60_000, mode: "drop" },
      debounce: { key: "{{payload.doc}}", period_ms: 5000, max_delay_ms: 30_000, use: "all" },
      priority: 10,
    });
  });
});

describe("debounce over REST", () => {
  it("answers which windows an event joined, and a repeat of it (same Idempotency-Key) answers the same", async () => {
    const type = `debounced-${Date.now()}`;
    const created = await request("POST", "/workflows", {
      name: "reindex",
      trigger: { "==": [{ var: "type" }, type] },
      debounce: { key: "{{payload.doc}}", period_ms: 60_000 },
      graph: { nodes: [{ id: "start", type: "start" }], edges: [] },
    });
    const send = () =>
      fetch(`${served.server.url}/events`, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": `${type}-1` },
        body: JSON.stringify({ type, doc: "D-1" }),
      }).then((r) => r.json());
    const first = await send();
    expect(first).toMatchObject({ matched: 0, execution_ids: [], debounced_workflow_ids: [created.body.id] });
    expect(await send()).toMatchObject({ duplicate: true, debounced_workflow_ids: [created.body.id] });
  });
});

describe("an execution waiting for capacity", () => {
  it("says which limit and key it waits for, explainEvent names the limit, /metrics counts line and slots", async () => {
    const type = `held-${Date.now()}`;
    const created = await graphql(`mutation ($input: WorkflowInput!) { createWorkflow(input: $input) { id } }`, {
      input: {
        name: "one sync per customer",
        trigger: { "==": [{ var: "type" }, type] },
        concurrency: { key: "{{payload.customerId}}", limit: 1 },
        graph: {
          nodes: [
            { id: "start", type: "start" },
            { id: "sync", type: "http_call", data: { url: calls.url("/hold"), method: "POST", timeoutMs: 60_000 } },
          ],
          edges: [{ source: "start", target: "sync" }],
        },
      },
    });
    const workflowId = created.data.createWorkflow.id;
    const send = async () => (await request("POST", "/events", { type, customerId: "acme" })).body.execution_ids[0];
    const first = await send();
    await waitUntil(async () => held.length === 1, "the first sync running");
    const second = await send();
    const third = await send();

    const query = `query ($id: ID!) { execution(id: $id) { status waitingFor { kind limit key inUse position message } } }`;
    const waiting = await graphql(query, { id: third });
    expect(waiting.data.execution).toEqual({
      status: "PENDING",
      waitingFor: {
        kind: "concurrency",
        limit: 1,
        key: "acme",
        inUse: 1,
        position: 2,
        message: 'concurrency limit 1 for key "acme": 1 running; position 2 in line',
      },
    });
    expect((await graphql(query, { id: first })).data.execution.waitingFor).toBeNull();

    const explained = await graphql(
      `query ($p: JSON!) { explainEvent(payload: $p) { limits { workflowId kind limit key inUse full whenFull } } }`,
      { p: { type, customerId: "acme" } },
    );
    expect(explained.data.explainEvent.limits).toEqual([
      { workflowId, kind: "concurrency", limit: 1, key: "acme", inUse: 1, full: true, whenFull: "queue" },
    ]);

    const metrics = (await request("GET", "/metrics")).body as string;
    expect(metrics).toContain(`workflow_capacity_waiting{workflow_id="${workflowId}"} 2`);
    expect(metrics).toContain(`workflow_capacity_slots_in_use{workflow_id="${workflowId}"} 1`);

    for (const id of [first, second, third]) {
      await waitUntil(async () => held.length > 0, "a sync running");
      held.shift()?.end("{}");
      expect((await waitForExecution(served.engine.db, id)).status).toBe("SUCCEEDED");
    }
  });
});
