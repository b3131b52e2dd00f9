/**
 * The original engine's UI against this engine: its builder sends `data: {}`
 * for every node, which the Python engine filled with defaults
 * (send_notification: toRole "AE", message "New event"; delay: 0 ms). Saves
 * over REST and GraphQL accept that and the graph runs; everything else is
 * still validated. REST steps show `error` as `{"message": ...}`, as the
 * original did; GraphQL keeps a string.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, type TestEngine, waitUntil } from "../support/engine.js";
import { gql } from "../support/graphql.js";
import { rest } from "../support/rest.js";

const database = useTestDatabase();
let engine: TestEngine;
let built: ReturnType<typeof createApp>;

beforeAll(async () => {
  engine = await startTestEngine(database.url);
  built = createApp(engine);
});

afterAll(async () => {
  await built?.yoga.dispose();
  await engine?.stop();
});

/** A node as the original UI's builder (React Flow) sends it: position, measured size, and `data: {}`. */
const uiNode = (id: string, type: string, y: number, data: Record<string, unknown> = {}) => ({
  id,
  type,
  position: { x: 250, y },
  width: 150,
  height: 40,
  data,
});
const uiEdge = (source: string, target: string) => ({ id: `reactflow__edge-${source}-${target}`, source, target });

const uiGraph = {
  nodes: [uiNode("start", "start", 0), uiNode("n1", "send_notification", 100), uiNode("n2", "delay", 200)],
  edges: [uiEdge("start", "n1"), uiEdge("n1", "n2")],
};

async function finished(id: string) {
  let execution: { status: string; error: string | null } = { status: "PENDING", error: null };
  await waitUntil(async () => {
    execution = (await rest(built.app, "GET", `/executions/${id}`)).body;
    return ["SUCCEEDED", "FAILED", "CANCELLED"].includes(execution.status);
  }, `execution ${id} to finish`);
  return execution;
}

describe("the original UI's start → notification → delay graph", () => {
  it("saves with a REST PUT and runs to SUCCEEDED with the original defaults", async () => {
    // What the UI creates first: a start node alone.
    const created = await rest(built.app, "POST", "/workflows", {
      name: "New Workflow",
      trigger: {},
      graph: { nodes: [uiNode("start", "start", 0)], edges: [] },
    });
    expect(created.status).toBe(200);
    const id = created.body.id as string;

    const saved = await rest(built.app, "PUT", `/workflows/${id}`, {
      name: "New Workflow",
      description: "",
      trigger: {},
      graph: uiGraph,
      is_active: true,
    });
    expect(saved.status).toBe(200);
    expect(saved.body.version).toBe(2);
    // The graph is kept as sent; defaults apply when the step runs (nodeTypes' schema shows them).
    expect(saved.body.graph.nodes[1].data).toEqual({});

    const started = await rest(built.app, "POST", "/executions", { workflow_id: id });
    expect(started.status).toBe(200);
    expect(await finished(started.body.id)).toMatchObject({ status: "SUCCEEDED", error: null });

    const steps = (await rest(built.app, "GET", `/executions/${started.body.id}/steps`)).body as Record<
      string,
      unknown
    >[];
    expect(steps.map((s) => [s.node_id, s.status, s.error])).toEqual([
      ["start", "SUCCEEDED", null],
      ["n1", "SUCCEEDED", null],
      ["n2", "SUCCEEDED", null],
    ]);
    expect(steps[1]?.output).toEqual({ notified: "AE", message: "New event" });
    const sent = await engine.db.notification.findMany({ where: { executionId: started.body.id } });
    expect(sent.map((n) => [n.toRole, n.message])).toEqual([["AE", "New event"]]);
  });

  it("saves over GraphQL too, and shows the defaults in nodeTypes' data schema", async () => {
    const created = await gql(
      built.yoga,
      `mutation($input: WorkflowInput!) { createWorkflow(input: $input) { id graph } }`,
      { input: { name: "From GraphQL", graph: uiGraph } },
    );
    expect(created.errors).toBeUndefined();
    expect(created.data?.createWorkflow.graph.nodes[2].data).toEqual({});

    const types = await gql(built.yoga, `{ nodeTypes { type dataSchema } }`);
    const schemaOf = (type: string) => types.data?.nodeTypes.find((t: { type: string }) => t.type === type).dataSchema;
    expect(schemaOf("send_notification").properties).toMatchObject({
      toRole: { default: "AE", maxLength: 200 },
      message: { default: "New event" },
    });
    expect(schemaOf("send_notification").required ?? []).toEqual([]);
    expect(schemaOf("delay").properties.ms).toMatchObject({ default: 0 });
  });

  it("still refuses everything else that is wrong: a toRole of the wrong type, or of 201 characters", async () => {
    const put = (n1: Record<string, unknown>) =>
      rest(built.app, "POST", "/workflows", {
        name: "Wrong",
        graph: { ...uiGraph, nodes: [uiGraph.nodes[0], uiNode("n1", "send_notification", 100, n1), uiGraph.nodes[2]] },
      });
    const wrongType = await put({ toRole: 7 });
    expect(wrongType.status).toBe(422);
    expect(wrongType.body.detail).toContainEqual(
      expect.objectContaining({ loc: ["body", "graph", "nodes", 1, "data", "toRole"] }),
    );

    const long = await put({ toRole: "r".repeat(201), message: "hi" });
    expect(long.status).toBe(422);
    expect(long.body.detail).toEqual([
      {
        loc: ["body", "graph", "nodes", 1, "data", "toRole"],
        msg: "must be at most 200 characters; this one is 201",
        type: "value_error",
      },
    ]);

    const overGraphQL = await gql(
      built.yoga,
      `mutation($input: WorkflowInput!) { createWorkflow(input: $input) { id } }`,
      {
        input: {
          name: "Wrong",
          graph: {
            nodes: [uiNode("start", "start", 0), uiNode("n1", "send_notification", 1, { toRole: "r".repeat(201) })],
            edges: [uiEdge("start", "n1")],
          },
        },
      },
    );
    expect(overGraphQL.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(overGraphQL.errors?.[0]?.message).toMatch(/toRole: must be at most 200 characters/);

    const delay = await rest(built.app, "POST", "/workflows", {
      name: "Wrong delay",
      graph: {
        ...uiGraph,
        nodes: [uiGraph.nodes[0], uiGraph.nodes[1], uiNode("n2", "delay", 200, { ms: 1, seconds: 1 })],
      },
    });
    expect(delay.status).toBe(422);
    expect(delay.body.detail[0].msg).toBe("at most one of ms, seconds or until may be given");
  });
});

describe("a failed step over REST", () => {
  it("shows its error as {message}, as the original engine did; GraphQL keeps the string", async () => {
    const created = await rest(built.app, "POST", "/workflows", {
      name: "Fails",
      graph: {
        nodes: [uiNode("start", "start", 0), uiNode("n1", "send_notification", 100, { toRole: "{{payload.role}}" })],
        edges: [uiEdge("start", "n1")],
      },
    });
    const started = await rest(built.app, "POST", "/executions", {
      workflow_id: created.body.id,
      payload: { role: "r".repeat(300) },
    });
    const reason = "invalid input after templating: data.toRole: must be at most 200 characters; this one is 300";
    expect(await finished(started.body.id)).toMatchObject({ status: "FAILED", error: `n1: ${reason}` });

    const steps = (await rest(built.app, "GET", `/executions/${started.body.id}/steps`)).body as Record<
      string,
      unknown
    >[];
    expect(steps.map((s) => [s.node_id, s.error])).toEqual([
      ["start", null],
      ["n1", { message: reason }],
    ]);

    const viaGraphQL = await gql(built.yoga, `query($id: ID!) { execution(id: $id) { steps { nodeId error } } }`, {
      id: started.body.id,
    });
    expect(viaGraphQL.data?.execution.steps).toEqual([
      { nodeId: "start", error: null },
      { nodeId: "n1", error: reason },
    ]);
  });
});
