/**
 * Cancelling an execution in one process aborts the http_call its step is
 * waiting on in a worker process, as in production: server and worker are
 * separate processes, and the cancellation travels over Redis pub/sub.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cancelExecution, startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, stepsByNode, testConfig, testEnv, waitForExecution, waitUntil } from "../support/engine.js";
import { TestHttpServer } from "../support/http-server.js";
import { spawnWorker } from "../support/processes.js";

const database = useTestDatabase();
let server: TestHttpServer;

beforeAll(async () => {
  server = await new TestHttpServer().start();
});
afterAll(async () => {
  await server?.stop();
});

describe("cancelling an execution", () => {
  it("aborts its call in flight in a worker process; the step is CANCELLED and not retried", async () => {
    let socketClosed = false;
    // Never answers: without the abort the call would wait for its whole timeout.
    server.route("/hang", (req) => req.socket.once("close", () => (socketClosed = true)));
    const env = testEnv(database.url);
    const api = await startTestEngine(database.url, { worker: false, config: testConfig(database.url, env) });
    const worker = spawnWorker(env);
    try {
      const workflow = await createWorkflow(api.services, {
        name: "hanging call",
        graph: {
          nodes: [
            { id: "start", type: "start", data: {} },
            {
              id: "call",
              type: "http_call",
              data: { url: server.url("/hang"), timeoutMs: 120_000, retry: { attempts: 3, backoffMs: 10 } },
            },
          ],
          edges: [{ id: "e1", source: "start", target: "call" }],
        },
      });
      const started = await startExecution(api.services, workflow.id, {});
      await waitUntil(async () => server.requestsTo("/hang").length === 1, "the worker's call to reach the server");
      await cancelExecution(api.services, started.id);
      await waitUntil(async () => socketClosed, "the server to see the call's socket close");
      const execution = await waitForExecution(api.db, started.id);
      expect(execution.status).toBe("CANCELLED");
      expect(stepsByNode(execution.steps).call).toMatchObject({ status: "CANCELLED", attempt: 1 });
      expect(server.requestsTo("/hang")).toHaveLength(1);
    } finally {
      await worker.stop();
      await api.stop();
    }
  });
});
