import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import type { Yoga } from "../../src/graphql/yoga.js";
import leadRouting from "../../src/samples/lead-routing.json" with { type: "json" };
import originalReadme from "../fixtures/original-readme-workflow.json" with { type: "json" };
import { useTestDatabase } from "../support/database.js";
import { capturingLogger, startTestEngine, type TestEngine, waitForExecution, waitForStep } from "../support/engine.js";
import { type AnyData, type GraphQLResponse, gql } from "../support/graphql.js";
import { TestHttpServer } from "../support/http-server.js";

const database = useTestDatabase();
let engine: TestEngine;
let yoga: Yoga;

beforeAll(async () => {
  engine = await startTestEngine(database.url);
  yoga = createApp(engine).yoga;
});

afterAll(async () => {
  await yoga?.dispose();
  await engine?.stop();
});

const CREATE = /* GraphQL */ `
  mutation Create($input: WorkflowInput!) {
    createWorkflow(input: $input) { id name version isActive trigger graph versions { version } }
  }
`;
const startOnly = { nodes: [{ id: "start", type: "start", data: {}, position: { x: 0, y: 0 } }], edges: [] };

async function createWorkflow(input: Record<string, unknown>) {
  const result = await gql(yoga, CREATE, { input });
  expect(result.errors).toBeUndefined();
  return result.data?.createWorkflow as { id: string; version: number };
}

describe("workflows over GraphQL", () => {
  it("creates a workflow and reads it back with its versions", async () => {
    const created = await createWorkflow({
      name: "Lead routing",
      trigger: leadRouting.trigger,
      graph: leadRouting.graph,
    });
    const read = await gql(
      yoga,
      `query($id: ID!) { workflow(id: $id) { id name version graph versions { version graph } } }`,
      {
        id: created.id,
      },
    );
    expect(read.data?.workflow).toMatchObject({
      id: created.id,
      name: "Lead routing",
      version: 1,
      graph: leadRouting.graph,
    });
    expect(read.data?.workflow.versions).toHaveLength(1);
  });

  it("answers invalid input with BAD_USER_INPUT and every problem", async () => {
    const result = await gql(yoga, CREATE, { input: { name: "broken", graph: originalReadme.graph } });
    expect(result.status).toBe(200);
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.extensions).toEqual({
      code: "BAD_USER_INPUT",
      problems: [
        { path: "graph.nodes[4].data.cases[0].next", message: 'node "gift" does not exist' },
        { path: "graph.nodes[4].data.cases[1].next", message: 'node "drip" does not exist' },
      ],
    });
    expect(result.errors?.[0]?.message).toContain('graph.nodes[4].data.cases[0].next: node "gift" does not exist');
  });

  it("updates partially, bumps the version, deletes", async () => {
    const created = await createWorkflow({ name: "Editable", graph: startOnly });
    const updated = await gql(
      yoga,
      `mutation($id: ID!) { updateWorkflow(id: $id, input: { isActive: false }) { name version isActive versions { version } } }`,
      { id: created.id },
    );
    expect(updated.data?.updateWorkflow).toEqual({
      name: "Editable",
      version: 2,
      isActive: false,
      versions: [{ version: 2 }, { version: 1 }],
    });
    const deleted = await gql(yoga, `mutation($id: ID!) { deleteWorkflow(id: $id) { id deleted } }`, {
      id: created.id,
    });
    expect(deleted.data?.deleteWorkflow).toEqual({ id: created.id, deleted: true });
    const gone = await gql(yoga, `query($id: ID!) { workflow(id: $id) { id } }`, { id: created.id });
    expect(gone.data?.workflow).toBeNull();
    expect(gone.errors?.[0]).toMatchObject({
      message: "Workflow not found",
      path: ["workflow"],
      extensions: { code: "NOT_FOUND" },
    });
  });

  it("pages through workflows with a Relay connection and filters on isActive", async () => {
    for (const n of [1, 2, 3]) await createWorkflow({ name: `Paged ${n}`, graph: startOnly, isActive: n !== 2 });
    const page = `query($after: String) { workflows(first: 2, after: $after, isActive: true) { edges { cursor node { name isActive } } pageInfo { hasNextPage endCursor } } }`;
    const first = await gql(yoga, page);
    expect(first.data?.workflows.edges).toHaveLength(2);
    expect(first.data?.workflows.pageInfo.hasNextPage).toBe(true);
    const all: string[] = [];
    let after: string | null = null;
    for (;;) {
      const next: GraphQLResponse<AnyData> = await gql(yoga, page, { after });
      all.push(...(next.data?.workflows.edges ?? []).map((e: { node: { name: string } }) => e.node.name));
      if (!next.data?.workflows.pageInfo.hasNextPage) break;
      after = next.data.workflows.pageInfo.endCursor;
    }
    expect(all).toContain("Paged 1");
    expect(all).toContain("Paged 3");
    expect(all).not.toContain("Paged 2");
    expect(new Set(all).size).toBe(all.length);
  });

  it("validates a definition without saving it", async () => {
    const result = await gql(
      yoga,
      `query($graph: JSON, $trigger: JSON) { validateWorkflow(graph: $graph, trigger: $trigger) { valid problems { path message } } }`,
      {
        graph: originalReadme.graph,
        trigger: { bogus: 1 },
      },
    );
    expect(result.data?.validateWorkflow.valid).toBe(false);
    expect(result.data?.validateWorkflow.problems).toContainEqual({
      path: "trigger.bogus",
      message: 'unknown JSONLogic operator "bogus"',
    });
    const ok = await gql(
      yoga,
      `{ validateWorkflow(graph: {nodes: [{id: "start", type: "start"}]}, trigger: {}) { valid problems { path } } }`,
    );
    expect(ok.data?.validateWorkflow).toEqual({ valid: true, problems: [] });
  });

  it("lists node types with the JSON Schema of their data", async () => {
    const result = await gql(yoga, `{ nodeTypes { type description dataSchema } }`);
    const types = result.data?.nodeTypes as {
      type: string;
      dataSchema: { properties?: Record<string, unknown>; required?: string[] };
    }[];
    expect(types.map((t) => t.type)).toEqual([
      "start",
      "end",
      "send_notification",
      "http_call",
      "delay",
      "branch",
      "wait_for_event",
      "transform",
      "call_workflow",
      "for_each",
    ]);
    const http = types.find((t) => t.type === "http_call");
    expect(Object.keys(http?.dataSchema.properties ?? {})).toEqual(
      expect.arrayContaining(["method", "url", "headers", "body", "retry"]),
    );
    expect(http?.dataSchema.required).toContain("url");
  });
});

describe("events and executions over GraphQL", () => {
  it("sends an event, starts the matching workflow, and is idempotent with a key", async () => {
    const workflow = await createWorkflow({ name: "Hot", trigger: { ">": [{ var: "temp" }, 30] }, graph: startOnly });
    const send = `mutation($payload: JSON!, $key: String) { sendEvent(payload: $payload, idempotencyKey: $key) { matched duplicate event { id payload idempotencyKey } executions { id status workflow { id } } } }`;
    const first = await gql(yoga, send, { payload: { temp: 35 }, key: "gql-1" });
    expect(first.data?.sendEvent).toMatchObject({
      matched: 1,
      duplicate: false,
      event: { payload: { temp: 35 }, idempotencyKey: "gql-1" },
    });
    expect(first.data?.sendEvent.executions[0].workflow.id).toBe(workflow.id);
    const again = await gql(yoga, send, { payload: { temp: 35 }, key: "gql-1" });
    expect(again.data?.sendEvent).toMatchObject({
      matched: 1,
      duplicate: true,
      event: { id: first.data?.sendEvent.event.id },
    });

    const simulated = await gql(yoga, `{ simulateEvent(payload: {temp: 99}) { id } }`);
    expect(simulated.data?.simulateEvent).toContainEqual({ id: workflow.id });
    const bad = await gql(yoga, send, { payload: [1, 2] });
    expect(bad.errors?.[0]?.extensions).toEqual({
      code: "BAD_USER_INPUT",
      problems: [{ path: "payload", message: "must be a JSON object" }],
    });

    const events = await gql(yoga, `{ events(first: 5) { edges { node { id executions { id } } } } }`);
    expect(events.data?.events.edges[0].node.id).toBe(first.data?.sendEvent.event.id);
  });

  it("starts an execution and reads it with its ordered steps, workflow and duration", async () => {
    const workflow = await createWorkflow({
      name: "Two steps",
      graph: {
        nodes: [
          { id: "start", type: "start" },
          { id: "say", type: "send_notification", data: { toRole: "ops", message: "hi {{payload.who}}" } },
        ],
        edges: [{ source: "start", target: "say" }],
      },
    });
    const started = await gql(
      yoga,
      `mutation($id: ID!) { startExecution(workflowId: $id, payload: {who: "Ada"}) { id status payload workflowVersion } }`,
      { id: workflow.id },
    );
    expect(started.data?.startExecution).toMatchObject({
      status: "PENDING",
      payload: { who: "Ada" },
      workflowVersion: 1,
    });
    const id = started.data?.startExecution.id as string;
    await waitForExecution(engine.db, id);
    const read = await gql(
      yoga,
      `query($id: ID!) { execution(id: $id) { status durationMs seq workflow { name } notifications { message } steps { nodeId status attempt input output } } }`,
      { id },
    );
    expect(read.data?.execution).toMatchObject({
      status: "SUCCEEDED",
      workflow: { name: "Two steps" },
      notifications: [{ message: "hi Ada" }],
      steps: [
        { nodeId: "start", status: "SUCCEEDED", attempt: 1 },
        {
          nodeId: "say",
          status: "SUCCEEDED",
          attempt: 1,
          input: { toRole: "ops", message: "hi Ada" },
          output: { notified: "ops", message: "hi Ada" },
        },
      ],
    });
    expect(read.data?.execution.durationMs).toBeGreaterThanOrEqual(0);

    const listed = await gql(
      yoga,
      `query($w: ID) { executions(first: 10, workflowId: $w, status: SUCCEEDED) { edges { node { id } } } }`,
      { w: workflow.id },
    );
    expect(listed.data?.executions.edges).toEqual([{ node: { id } }]);

    const cancel = await gql(yoga, `mutation($id: ID!) { cancelExecution(id: $id) { id } }`, { id });
    expect(cancel.errors?.[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT" } });
    expect(cancel.errors?.[0]?.message).toMatch(/already SUCCEEDED/);
    const retry = await gql(yoga, `mutation($id: ID!) { retryExecution(id: $id) { id } }`, { id });
    expect(retry.errors?.[0]?.message).toMatch(/only FAILED executions can be retried/);
    const missing = await gql(yoga, `{ execution(id: "nope") { id } }`);
    expect(missing.errors?.[0]).toMatchObject({ message: "Execution not found", extensions: { code: "NOT_FOUND" } });
    const noWorkflow = await gql(yoga, `mutation { startExecution(workflowId: "nope") { id } }`);
    expect(noWorkflow.errors?.[0]).toMatchObject({ message: "Workflow not found", extensions: { code: "NOT_FOUND" } });
  });
});

describe("cancel and retry over GraphQL", () => {
  it("cancels a waiting execution", async () => {
    const workflow = await createWorkflow({
      name: "Long wait",
      graph: {
        nodes: [
          { id: "start", type: "start" },
          { id: "wait", type: "delay", data: { ms: 60_000 } },
        ],
        edges: [{ source: "start", target: "wait" }],
      },
    });
    const started = await gql(yoga, `mutation($id: ID!) { startExecution(workflowId: $id) { id } }`, {
      id: workflow.id,
    });
    const id = started.data?.startExecution.id as string;
    await waitForStep(engine.db, id, "wait", "WAITING");
    const cancelled = await gql(
      yoga,
      `mutation($id: ID!) { cancelExecution(id: $id) { status finishedAt steps { nodeId status } } }`,
      { id },
    );
    expect(cancelled.data?.cancelExecution).toMatchObject({
      status: "CANCELLED",
      steps: [
        { nodeId: "start", status: "SUCCEEDED" },
        { nodeId: "wait", status: "CANCELLED" },
      ],
    });
  });

  it("retries a failed execution until it succeeds", async () => {
    const server = await new TestHttpServer().start();
    try {
      server.script("/flaky", { status: 500 });
      const workflow = await createWorkflow({
        name: "Flaky call",
        graph: {
          nodes: [
            { id: "start", type: "start" },
            { id: "call", type: "http_call", data: { url: server.url("/flaky"), retry: { attempts: 1 } } },
          ],
          edges: [{ source: "start", target: "call" }],
        },
      });
      const started = await gql(yoga, `mutation($id: ID!) { startExecution(workflowId: $id) { id } }`, {
        id: workflow.id,
      });
      const id = started.data?.startExecution.id as string;
      expect((await waitForExecution(engine.db, id)).status).toBe("FAILED");
      server.script("/flaky", { status: 200, body: { ok: true } });
      const retried = await gql(yoga, `mutation($id: ID!) { retryExecution(id: $id) { status error } }`, { id });
      expect(retried.data?.retryExecution).toEqual({ status: "RUNNING", error: null });
      expect((await waitForExecution(engine.db, id)).status).toBe("SUCCEEDED");
    } finally {
      await server.stop();
    }
  });
});

describe("limits and masking", () => {
  it("rejects queries nested too deep and too many aliases", async () => {
    const level = (inner: string) => `executions(first: 1) { edges { node { workflow { ${inner} } } } }`;
    const deep = `{ ${level(level(level(level("id"))))} }`; // 17 levels; the limit is 12
    const tooDeep = await gql(yoga, deep);
    expect(tooDeep.errors?.[0]?.message).toMatch(/depth/i);
    const aliases = `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: nodeTypes { type }`).join(" ")} }`;
    const tooMany = await gql(yoga, aliases);
    expect(tooMany.errors?.[0]?.message).toMatch(/aliases/i);
  });

  it("masks unexpected errors and logs them with an id", async () => {
    const lines: string[] = [];
    const unreachable = database.url.replace(/\/[^/]+$/, "/no_such_database");
    const broken = await startTestEngine(unreachable, { worker: false, logger: capturingLogger(lines) });
    const brokenYoga = createApp(broken).yoga;
    try {
      const result = await gql(brokenYoga, `{ workflows(first: 1) { edges { node { id } } } }`);
      expect(result.errors?.[0]?.message).toBe("Unexpected error.");
      expect(result.errors?.[0]?.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
      expect(JSON.stringify(result)).not.toMatch(/no_such_database|prisma|stack/i);
      const errorId = result.errors?.[0]?.extensions?.errorId as string;
      const logged = lines.map((line) => JSON.parse(line)).find((entry) => entry.errorId === errorId);
      expect(logged).toMatchObject({ msg: "unexpected GraphQL error", path: "workflows" });
      expect(JSON.stringify(logged.err)).toMatch(/no_such_database/);
    } finally {
      await brokenYoga.dispose();
      await broken.stop();
    }
  });
});
