/**
 * One query or one socket cannot make the server do unbounded work (issue 17,
 * point 3): `executions(first:100){… payload steps{input output} …}` passed
 * the old cost limit and answered 185 MB; one WebSocket held 100,000
 * subscriptions. Now the cost grows with list sizes, lists inside an object
 * come in pages, a result has a size limit, and a socket an operation limit.
 */
import { describe, expect, it } from "vitest";
import { waitForExecution } from "../support/engine.js";
import { type Payload, wsClient } from "../support/graphql-clients.js";
import { useServedEngine } from "../support/served-engine.js";

const served = useServedEngine({
  worker: true,
  overrides: { GRAPHQL_MAX_OPERATIONS_PER_SOCKET: "3", GRAPHQL_MAX_RESPONSE_BYTES: "20000" },
});

async function post(query: string, variables?: Record<string, unknown>): Promise<Payload> {
  const response = await fetch(`${served.server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as Payload;
}

/** A workflow of start → n1 … n5 (notifications), saved three times, and one finished execution of it. */
async function finishedChain(payload: unknown): Promise<{ workflowId: string; executionId: string }> {
  const nodes = [
    { id: "start", type: "start", data: {} },
    ...[1, 2, 3, 4, 5].map((i) => ({
      id: `n${i}`,
      type: "send_notification",
      data: { toRole: "ops", message: `m${i}` },
    })),
  ];
  const edges = nodes.slice(1).map((node, i) => ({ id: `e${i}`, source: nodes[i]?.id, target: node.id }));
  const created = await post('mutation($g: JSON!) { createWorkflow(input: {name: "chain", graph: $g}) { id } }', {
    g: { nodes, edges },
  });
  const workflowId = created.data.createWorkflow.id as string;
  for (const description of ["second", "third"]) {
    await post(`mutation { updateWorkflow(id: "${workflowId}", input: {description: "${description}"}) { id } }`);
  }
  const started = await post("mutation($id: ID!, $p: JSON) { startExecution(workflowId: $id, payload: $p) { id } }", {
    id: workflowId,
    p: payload,
  });
  const executionId = started.data.startExecution.id as string;
  await waitForExecution(served.engine.db, executionId);
  return { workflowId, executionId };
}

describe("query cost grows with list sizes", () => {
  it("refuses the 185 MB query before running it, naming its cost and the limit", async () => {
    const result = await post(
      "{ executions(first:100){ edges{ node{ payload steps{input output} notifications{message} } } } }",
    );
    expect(result.data).toBeUndefined();
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(result.errors?.[0]?.message).toMatch(/^query cost \d+ exceeds the limit of 50000 \(GRAPHQL_MAX_COST\)/);
  });

  it("multiplies nested lists, and counts a variable page as the largest", async () => {
    const nested = (outer: number, inner: number) =>
      `{ workflows(first: ${outer}) { edges { node { executions(first: ${inner}) { edges { node { id status steps(first: 10) { id } } } } } } } }`;
    expect((await post(nested(5, 5))).errors).toBeUndefined();
    expect((await post(nested(100, 100))).errors?.[0]?.message).toMatch(/^query cost 150301 exceeds/);
    const byVariable = await post("query($n: Int) { executions(first: $n) { edges { node { steps { output } } } } }", {
      n: 1,
    });
    expect(byVariable.errors?.[0]?.message).toMatch(/^query cost \d+ exceeds/);
  });

  it("costs a fragment once however often it is spread: a tower of spreads is refused at once", async () => {
    // Four levels, each spreading the next 120 times: 120³ copies of the leaf (cost 4 each). Walked spread by
    // spread, estimating this took 47 s of the event loop; costed once per fragment it is immediate.
    const spreads = (name: string) => Array.from({ length: 120 }, () => `...${name}`).join(" ");
    const query = `query { ...F1 }
      fragment F1 on Query { ${spreads("F2")} }
      fragment F2 on Query { ${spreads("F3")} }
      fragment F3 on Query { ${spreads("F4")} }
      fragment F4 on Query { workflows(first: 1) { edges { node { id } } } }`;
    const result = await post(query);
    expect(result.errors?.[0]?.message).toMatch(/^query cost 6912000 exceeds the limit of 50000/);
  });

  it("counts a negative page as none, so it cannot cancel out the cost of a sibling", async () => {
    const result = await post(`{
      big: executions(first: 100) { edges { node { payload steps { input output } notifications { message } } } }
      w: workflow(id: "nope") { executions(first: -100000000) { edges { node { id } } } }
    }`);
    expect(result.data).toBeUndefined();
    expect(result.errors?.[0]?.message).toMatch(/^query cost \d+ exceeds the limit of 50000/);
  });

  it("lets the queries a console makes through", async () => {
    const { executionId } = await finishedChain({});
    const list = await post(
      "{ workflows(first: 50) { edges { node { id name executions(first: 20) { edges { node { id status } } } } } } }",
    );
    expect(list.errors).toBeUndefined();
    const one = await post(
      "query($id: ID!) { execution(id: $id) { status steps { nodeId type status attempt input output error } } }",
      { id: executionId },
    );
    expect(one.errors).toBeUndefined();
    expect(one.data.execution.steps).toHaveLength(6);
  });
});

describe("lists inside an object come in pages", () => {
  it("pages steps, notifications and versions with first and offset, in their order", async () => {
    const { workflowId, executionId } = await finishedChain({});
    const page = await post(
      `query($id: ID!) { execution(id: $id) {
        steps(first: 2, offset: 1) { nodeId }
        notifications(first: 2, offset: 3) { message }
        workflow { versions(first: 2) { version } all: versions { version } }
      } }`,
      { id: executionId },
    );
    expect(page.errors).toBeUndefined();
    expect(page.data.execution.steps).toEqual([{ nodeId: "n1" }, { nodeId: "n2" }]);
    expect(page.data.execution.notifications).toEqual([{ message: "m4" }, { message: "m5" }]);
    expect(page.data.execution.workflow.versions).toEqual([{ version: 3 }, { version: 2 }]);
    expect(page.data.execution.workflow.all).toHaveLength(3);
    expect(workflowId).toBeTruthy();
  });

  it("refuses a page larger than 1,000 or a negative offset, naming the argument", async () => {
    const { executionId } = await finishedChain({});
    const tooMany = await post("query($id: ID!) { execution(id: $id) { steps(first: 1001) { id } } }", {
      id: executionId,
    });
    expect(tooMany.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(tooMany.errors?.[0]?.message).toContain("steps.first: must be 1 to 1000; got 1001");
    const negative = await post("query($id: ID!) { execution(id: $id) { notifications(offset: -1) { id } } }", {
      id: executionId,
    });
    expect(negative.errors?.[0]?.message).toContain("notifications.offset: must be 0 or more; got -1");
  });
});

describe("result size", () => {
  it("answers a result over GRAPHQL_MAX_RESPONSE_BYTES with a clear error instead of the data", async () => {
    const { executionId } = await finishedChain({ blob: "x".repeat(30_000) });
    const large = await post("query($id: ID!) { execution(id: $id) { payload } }", { id: executionId });
    expect(large.data ?? null).toBeNull();
    expect(large.errors?.[0]?.extensions?.code).toBe("RESPONSE_TOO_LARGE");
    expect(large.errors?.[0]?.message).toMatch(/larger than 20000 bytes \(GRAPHQL_MAX_RESPONSE_BYTES\)/);
    const small = await post("query($id: ID!) { execution(id: $id) { status } }", { id: executionId });
    expect(small.data.execution.status).toBe("SUCCEEDED");
  });
});

describe("operations per WebSocket", () => {
  it("refuses a subscription past the limit with an error for that operation; the socket keeps working", async () => {
    const client = wsClient(served.server.url);
    const subscription = "subscription { executionsChanged { id } }";
    const open: (() => void)[] = [];
    try {
      for (let i = 0; i < 3; i++)
        open.push(client.subscribe({ query: subscription }, { next() {}, error() {}, complete() {} }));
      const refused = await new Promise<unknown>((resolve) => {
        client.subscribe({ query: subscription }, { next: resolve, error: resolve, complete() {} });
      });
      expect(refused).toEqual([
        expect.objectContaining({
          message: expect.stringMatching(
            /already has 3 operations open, the limit \(GRAPHQL_MAX_OPERATIONS_PER_SOCKET\)/,
          ),
          extensions: { code: "TOO_MANY_OPERATIONS" },
        }),
      ]);
      open.pop()?.();
      const after = await new Promise<unknown>((resolve, reject) => {
        client.subscribe({ query: "{ nodeTypes { type } }" }, { next: resolve, error: reject, complete() {} });
      });
      expect(after).toMatchObject({ data: { nodeTypes: expect.arrayContaining([{ type: "branch" }]) } });
    } finally {
      for (const unsubscribe of open) unsubscribe();
      await client.dispose();
    }
  });
});
