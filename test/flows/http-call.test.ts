import { beforeAll, describe, expect, it } from "vitest";
import { startExecution } from "../../src/services/executions.js";
import { createWorkflow, updateWorkflow } from "../../src/services/workflows.js";
import { startTestEngine, stepsByNode, waitForExecution } from "../support/engine.js";
import { useFlowHarness } from "../support/flow-harness.js";
import { loadFlow } from "../support/flows.js";

const harness = useFlowHarness();
let workflowId: string;

beforeAll(async () => {
  workflowId = (await createWorkflow(harness.engine.services, loadFlow("http-call.json", harness.server.url("")))).id;
});

async function call(path: string) {
  const started = await startExecution(harness.engine.services, workflowId, { path, lead: "Ada", score: 91 });
  const execution = await waitForExecution(harness.engine.db, started.id);
  return { execution, call: stepsByNode(execution.steps).call };
}

describe("http_call against a local server", () => {
  it("retries a 503 and succeeds on the second attempt, recording the attempt", async () => {
    harness.server.script("/flaky", { status: 503, body: { busy: true } }, { status: 200, body: { accepted: 1 } });
    const { execution, call: step } = await call("flaky");
    expect(execution.status).toBe("SUCCEEDED");
    expect(step).toMatchObject({ status: "SUCCEEDED", attempt: 2, error: null });
    expect(step?.output).toMatchObject({ status_code: 200, body: { accepted: 1 }, text: '{"accepted":1}' });
    const requests = harness.server.requestsTo("/flaky");
    expect(requests).toHaveLength(2);
    // Both attempts carry the same key, so the receiver can drop the duplicate.
    expect(requests.map((r) => r.headers["idempotency-key"])).toEqual([`${execution.id}:call`, `${execution.id}:call`]);
    expect(requests[0]?.headers["x-lead"]).toBe("Ada");
    expect(requests[0]?.body).toEqual({ lead: "Ada", score: 91 });
  });

  it("fails after its attempts when the server keeps answering 500", async () => {
    harness.server.script("/down", { status: 500, body: { error: "down" } });
    const { execution, call: step } = await call("down");
    expect(execution.status).toBe("FAILED");
    expect(step).toMatchObject({ status: "FAILED", attempt: 3 });
    expect(harness.server.requestsTo("/down")).toHaveLength(3);
  });

  it("fails a 404 at once, and lets it through with allowHttpErrors", async () => {
    harness.server.script("/missing", { status: 404, body: { detail: "no such thing" } });
    const failed = await call("missing");
    expect(failed.execution.status).toBe("FAILED");
    expect(failed.call).toMatchObject({ status: "FAILED", attempt: 1 });

    const flow = loadFlow("http-call.json", harness.server.url(""));
    const graph = flow.graph as { nodes: { id: string; data: Record<string, unknown> }[] };
    for (const node of graph.nodes) if (node.id === "call") node.data.allowHttpErrors = true;
    await updateWorkflow(harness.engine.services, workflowId, { graph });
    const allowed = await call("missing");
    expect(allowed.execution.status).toBe("SUCCEEDED");
    expect(allowed.call?.output).toMatchObject({ status_code: 404, body: { detail: "no such thing" } });
  });

  it("fails without retrying when the target address is refused", async () => {
    const guarded = await startTestEngine(harness.database.url, { overrides: { HTTP_ALLOWED_NETWORKS: "" } });
    try {
      // Its own workflow: on the embedded engine each engine has its own database.
      const own = await createWorkflow(guarded.services, loadFlow("http-call.json", harness.server.url("")));
      const started = await startExecution(guarded.services, own.id, { path: "anything", lead: "Ada" });
      const execution = await waitForExecution(guarded.db, started.id);
      const step = stepsByNode(execution.steps).call;
      expect(step).toMatchObject({ status: "FAILED", attempt: 1 });
      expect(step?.error).toMatch(/refused to connect to 127\.0\.0\.1/);
    } finally {
      await guarded.stop();
    }
  });
});
