import { beforeAll, describe, expect, it } from "vitest";
import { cancelExecution, startExecution } from "../../src/services/executions.js";
import { createWorkflow, updateWorkflow } from "../../src/services/workflows.js";
import { startTestEngine, stepsByNode, waitForExecution, waitUntil } from "../support/engine.js";
import { useFlowHarness } from "../support/flow-harness.js";
import { loadFlow } from "../support/flows.js";

const harness = useFlowHarness();
let workflowId: string;

beforeAll(async () => {
  workflowId = (await createWorkflow(harness.engine.services, loadFlow("http-call.json", harness.server.url("")))).id;
});

async function call(path: string, lead = "Ada") {
  const started = await startExecution(harness.engine.services, workflowId, { path, lead, score: 91 });
  const execution = await waitForExecution(harness.engine.db, started.id);
  return { execution, call: stepsByNode(execution.steps).call };
}

/** A workflow of one http_call node with `data`, retried up to 3 times. */
async function oneCall(data: Record<string, unknown>) {
  const workflow = await createWorkflow(harness.engine.services, {
    name: "one call",
    graph: {
      nodes: [
        { id: "start", type: "start", data: {} },
        { id: "call", type: "http_call", data: { retry: { attempts: 3, backoffMs: 50 }, ...data } },
      ],
      edges: [{ id: "e1", source: "start", target: "call" }],
    },
  });
  return startExecution(harness.engine.services, workflow.id, {});
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

  it("keeps the URL's own query string and merges `query` into it, `query` replacing a key both name", async () => {
    const started = await oneCall({ url: harness.server.url("/query?a=1&b=2&b=two"), query: { b: "20", c: "3" } });
    const execution = await waitForExecution(harness.engine.db, started.id);
    expect(execution.status).toBe("SUCCEEDED");
    expect(harness.server.requestsTo("/query").map((r) => r.query)).toEqual(["a=1&b=20&c=3"]);
  });

  it("aborts a response past MAX_HTTP_RESPONSE_BYTES and fails the step at once, naming the host and the setting", async () => {
    let closed = false;
    harness.server.route("/endless", (_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const chunk = Buffer.alloc(64 * 1024, "x");
      const write = () => {
        while (!closed && res.write(chunk)) {}
      };
      res.on("drain", write);
      res.on("close", () => {
        closed = true;
      });
      write();
    });
    const started = await oneCall({ url: harness.server.url("/endless") });
    const execution = await waitForExecution(harness.engine.db, started.id);
    const step = stepsByNode(execution.steps).call;
    expect(step).toMatchObject({ status: "FAILED", attempt: 1 });
    expect(step?.error).toContain(`the response from ${new URL(harness.server.url("")).host} passed 10000000 bytes`);
    expect(step?.error).toContain("MAX_HTTP_RESPONSE_BYTES");
    expect(harness.server.requestsTo("/endless")).toHaveLength(1);
    await waitUntil(async () => closed, "the endless response's socket to close");
  });

  it("aborts the request in flight when its execution is cancelled; the step is CANCELLED, not retried", async () => {
    let socketClosed = false;
    // Never answers: the call would wait for its whole timeout.
    harness.server.route("/hang", (req) => req.socket.once("close", () => (socketClosed = true)));
    const started = await oneCall({ url: harness.server.url("/hang"), timeoutMs: 60_000 });
    await waitUntil(async () => harness.server.requestsTo("/hang").length === 1, "the call to reach the server");
    await cancelExecution(harness.engine.services, started.id);
    await waitUntil(async () => socketClosed, "the server to see the call's socket close");
    const execution = await waitForExecution(harness.engine.db, started.id);
    expect(execution.status).toBe("CANCELLED");
    expect(stepsByNode(execution.steps).call).toMatchObject({ status: "CANCELLED", attempt: 1 });
    expect(harness.server.requestsTo("/hang")).toHaveLength(1);
  });

  it("fails an invalid templated header value after exactly one attempt, sending nothing", async () => {
    const { execution, call: step } = await call("injected", "Ada\r\nX-Injected: yes");
    expect(execution.status).toBe("FAILED");
    expect(step).toMatchObject({ status: "FAILED", attempt: 1 });
    expect(step?.error).toMatch(/data\.headers\.X-Lead: the value holds a character a header cannot carry/);
    expect(harness.server.requestsTo("/injected")).toHaveLength(0);
  });

  it("refuses an invalid header name, or a value no template made, when the workflow is saved", async () => {
    await expect(oneCall({ url: harness.server.url("/x"), headers: { "X Bad": "1" } })).rejects.toThrow(
      /data\.headers\.X Bad: not a valid header name/,
    );
    await expect(oneCall({ url: harness.server.url("/x"), headers: { "X-Ok": "a\nb" } })).rejects.toThrow(
      /data\.headers\.X-Ok: the value holds a character a header cannot carry/,
    );
  });

  it("names a refused host, not the internal address it resolves to", async () => {
    const guarded = await startTestEngine(harness.database.url, { overrides: { HTTP_ALLOWED_NETWORKS: "" } });
    try {
      const port = new URL(harness.server.url("")).port;
      const own = await createWorkflow(guarded.services, loadFlow("http-call.json", `http://localhost:${port}`));
      const started = await startExecution(guarded.services, own.id, { path: "anything", lead: "Ada" });
      const execution = await waitForExecution(guarded.db, started.id);
      const step = stepsByNode(execution.steps).call;
      expect(step).toMatchObject({ status: "FAILED", attempt: 1 });
      expect(step?.error).toMatch(/refused to connect to localhost: the name resolves to a blocked address/);
      expect(step?.error).not.toContain("127.0.0.1");
      expect(step?.error).not.toMatch(/::1\b/);
    } finally {
      await guarded.stop();
    }
  });
});
