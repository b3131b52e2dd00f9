/**
 * Operators' execution search over GraphQL: what a payload contains (PostgreSQL @>, through the
 * GIN index), with workflow, status and a time window, in cursor pages that neither skip nor
 * repeat; and a containment value that cannot mean anything refused by name.
 */
import { describe, expect, it } from "vitest";
import { startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { linked, node } from "../support/graphs.js";
import { requestServed } from "../support/rest.js";
import { useServedEngine } from "../support/served-engine.js";

const served = useServedEngine();

// biome-ignore lint/suspicious/noExplicitAny: GraphQL data is checked by assertions
async function graphql(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  return (await requestServed(served.server.url, "POST", "/graphql", { query, variables })).body;
}

const SEARCH = `query ($contains: JSON, $workflowId: ID, $from: DateTime, $first: Int, $after: String) {
  executions(payloadContains: $contains, workflowId: $workflowId, from: $from, first: $first, after: $after) {
    edges { node { id payload } }
    pageInfo { hasNextPage endCursor }
  }
}`;

describe("execution search", () => {
  it("finds executions by what their payload contains, page by page, newest first", async () => {
    const { services } = served.engine;
    const workflow = await createWorkflow(services, { name: "orders", graph: linked(node("start", "start")) });
    const other = await createWorkflow(services, { name: "others", graph: linked(node("start", "start")) });
    const started: string[] = [];
    for (let i = 0; i < 12; i++) {
      const customer = i % 3 === 0 ? "c-42" : `c-${i}`;
      const execution = await startExecution(services, workflow.id, {
        order: i,
        customer: { id: customer, tier: "gold" },
      });
      if (customer === "c-42") started.push(execution.id);
    }
    await startExecution(services, other.id, { customer: { id: "c-42" } });

    // Four of the twelve orders are c-42's; two per page, newest first, the other workflow's left out.
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 5; pages++) {
      const answer = await graphql(SEARCH, {
        contains: { customer: { id: "c-42" } },
        workflowId: workflow.id,
        first: 2,
        after,
      });
      expect(answer.errors).toBeUndefined();
      const { edges, pageInfo } = answer.data.executions;
      seen.push(...edges.map((e: { node: { id: string } }) => e.node.id));
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    expect(seen).toEqual([...started].reverse());

    // Across workflows, and a window that starts after every one of them: none.
    const everywhere = await graphql(SEARCH, { contains: { customer: { id: "c-42" } }, first: 50 });
    expect(everywhere.data.executions.edges).toHaveLength(5);
    const later = await graphql(SEARCH, {
      contains: { customer: { id: "c-42" } },
      from: new Date(Date.now() + 60_000),
    });
    expect(later.data.executions.edges).toEqual([]);
    // Nested partial objects match; a value that is not an object or a list is refused by name.
    const gold = await graphql(SEARCH, {
      contains: { customer: { tier: "gold" } },
      workflowId: workflow.id,
      first: 50,
    });
    expect(gold.data.executions.edges).toHaveLength(12);
    // REST: the same filters on GET /executions, in its names.
    const rest = (query: string) => requestServed(served.server.url, "GET", `/executions?${query}`);
    const contains = encodeURIComponent(JSON.stringify({ customer: { id: "c-42" } }));
    const listed = await rest(`workflow_id=${workflow.id}&payload_contains=${contains}`);
    expect(listed.body.map((e: { id: string }) => e.id)).toEqual([...started].reverse());
    expect((await rest(`payload_contains=${contains}&status=SUCCEEDED`)).body).toEqual([]);
    const notJson = await rest("payload_contains=%7Bcustomer");
    expect(notJson.status).toBe(422);
    expect(notJson.body.detail[0].loc).toEqual(["query", "payload_contains"]);
    const notObject = await rest("payload_contains=42");
    expect(notObject.body.detail[0].loc).toEqual(["query", "payload_contains"]);
    const backwards = await rest("from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z");
    expect(backwards.body.detail[0].loc).toEqual(["query", "to"]);

    const refused = await graphql(SEARCH, { contains: "c-42" });
    expect(refused.errors[0].extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      problems: [{ path: "payloadContains", message: expect.stringContaining("JSON object or list") }],
    });
  });
});
