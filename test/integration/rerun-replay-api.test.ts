/**
 * Reruns and bulk replays as clients see them, over a real server: rerunExecution in GraphQL and
 * POST /executions/{id}/rerun in REST (bad requests named in each API's own words), and a replay
 * started over REST whose progress streams over the replayUpdated subscription (SSE) until
 * COMPLETED; a filter without a workflow is refused.
 */
import { describe, expect, it } from "vitest";
import { startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { waitForExecution } from "../support/engine.js";
import { linked, node } from "../support/graphs.js";
import { requestServed } from "../support/rest.js";
import { useServedEngine } from "../support/served-engine.js";
import { eventSourceUrl, readSse } from "../support/sse.js";

const served = useServedEngine({ worker: true, overrides: { REPLAY_RATE_PER_SECOND: "40" } });

const request = (method: string, path: string, body?: unknown) => requestServed(served.server.url, method, path, body);

async function noted(count: number) {
  const workflow = await createWorkflow(served.engine.services, {
    name: `noted ${count}`,
    graph: linked(
      node("start", "start"),
      node("shape", "transform", { set: { n: "{{payload.n}}" } }),
      node("tell", "send_notification", { toRole: "ops", message: "n={{steps.shape.output.n}}" }),
    ),
  });
  const ids = [];
  for (let n = 0; n < count; n++) ids.push((await startExecution(served.engine.services, workflow.id, { n })).id);
  for (const id of ids) await waitForExecution(served.engine.db, id, ["SUCCEEDED"]);
  return { workflow, ids };
}

describe("reruns over the APIs", () => {
  it("GraphQL rerunExecution returns the linked rerun; REST names from_node_id and input in snake_case", async () => {
    const { ids } = await noted(1);
    const original = ids[0] as string;
    const graphql = await request("POST", "/graphql", {
      query: `mutation ($id: ID!, $input: JSON) { rerunExecution(id: $id, fromNodeId: "tell", input: $input) {
        id rerunFromNodeId rerunOf { id reruns { id } } } }`,
      variables: { id: original, input: { toRole: "ops", message: "again {{steps.shape.output.n}}" } },
    });
    expect(graphql.body.errors).toBeUndefined();
    const rerun = graphql.body.data.rerunExecution;
    expect(rerun).toMatchObject({ rerunFromNodeId: "tell", rerunOf: { id: original, reruns: [{ id: rerun.id }] } });
    const done = await waitForExecution(served.engine.db, rerun.id, ["SUCCEEDED"]);
    expect(done.steps.find((s) => s.nodeId === "tell")?.output).toMatchObject({ message: "again 0" });

    const viaRest = await request("POST", `/executions/${original}/rerun`, { from_node_id: "shape" });
    expect(viaRest.status).toBe(200);
    expect(viaRest.body).toMatchObject({ rerun_of_id: original, rerun_from_node_id: "shape", context: { n: 0 } });

    const unknown = await request("POST", `/executions/${original}/rerun`, { from_node_id: "nope" });
    expect(unknown.status).toBe(422);
    expect(unknown.body.detail[0].loc).toEqual(["body", "from_node_id"]);
    const bad = await request("POST", `/executions/${original}/rerun`, { from_node_id: "tell", input: { toRole: 5 } });
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0].loc).toEqual(["body", "input", "toRole"]);
    const badGraphql = await request("POST", "/graphql", {
      query: `mutation ($id: ID!) { rerunExecution(id: $id, fromNodeId: "nope") { id } }`,
      variables: { id: original },
    });
    expect(badGraphql.body.errors[0].extensions).toMatchObject({ code: "BAD_USER_INPUT" });
    expect((await request("POST", "/executions/no-such/rerun", { from_node_id: "x" })).status).toBe(404);
  });
});

describe("bulk replays over the APIs", () => {
  it("previews, starts over REST and streams progress over replayUpdated until COMPLETED", async () => {
    const { workflow } = await noted(45);
    const preview = await request("POST", "/replays/preview", { workflow_id: workflow.id, status: "SUCCEEDED" });
    expect(preview).toEqual({ status: 200, body: { count: 45 } });

    const started = await request("POST", "/replays", { workflow_id: workflow.id, from_failed_step: false });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ workflow_id: workflow.id, status: "RUNNING", total: 45 });
    const operation = {
      query: "subscription ($id: ID!) { replayUpdated(id: $id) { status rerun total } }",
      variables: { id: started.body.id },
    };
    const { events, ended } = await readSse(eventSourceUrl(served.server.url, operation), { timeoutMs: 20_000 });
    const updates = events
      .filter((e) => e.event === "next")
      .map((e) => JSON.parse(e.data).data.replayUpdated as { status: string; rerun: number });
    expect(ended).toBe(true);
    expect(updates.at(-1)).toEqual({ status: "COMPLETED", rerun: 45, total: 45 });
    expect(updates.length).toBeGreaterThan(1); // the state first, then batches
    const reruns = updates.map((u) => u.rerun);
    expect([...reruns].sort((a, b) => a - b)).toEqual(reruns);

    const read = await request("GET", `/replays/${started.body.id}`);
    expect(read.body).toMatchObject({ status: "COMPLETED", rerun: 45, skipped: 0 });
    expect((await request("POST", `/replays/${started.body.id}/abort`)).status).toBe(409);
  });

  it("refuses a filter without a workflow and an unknown workflow", async () => {
    const empty = await request("POST", "/replays", {});
    expect(empty.status).toBe(422);
    expect(empty.body.detail[0].loc).toEqual(["body", "workflow_id"]);
    expect((await request("POST", "/replays/preview", { workflow_id: "no-such" })).status).toBe(404);
    const graphql = await request("POST", "/graphql", { query: "{ previewReplay(filter: {}) }" });
    expect(graphql.body.errors[0].message).toContain("workflowId");
  });
});
