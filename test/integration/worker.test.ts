import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExecutionChanged, StepChanged } from "../../src/bus/topics.js";
import type { BullStepQueue } from "../../src/queue/bullmq-queue.js";
import { startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, testConfig, testEnv, waitForExecution, waitForStep } from "../support/engine.js";
import { edge, node } from "../support/graphs.js";
import { TestHttpServer } from "../support/http-server.js";
import { spawnWorker } from "../support/processes.js";
import { waitForBusSubscribers } from "../support/redis.js";

const database = useTestDatabase();
let server: TestHttpServer;

beforeAll(async () => {
  server = await new TestHttpServer().start();
});
afterAll(async () => {
  await server?.stop();
});

const twoNotifications = {
  name: "two notifications",
  graph: {
    nodes: [
      node("start", "start"),
      node("one", "send_notification", { toRole: "ops", message: "one" }),
      node("two", "send_notification", { toRole: "sales", message: "two" }),
    ],
    edges: [edge("start", "one"), edge("one", "two")],
  },
};

describe("the reconciler", () => {
  it("re-enqueues a step whose job was lost, from the database", async () => {
    const config = testConfig(database.url);
    const producer = await startTestEngine(database.url, { worker: false, config });
    const workflow = await createWorkflow(producer.services, twoNotifications);
    const execution = await startExecution(producer.services, workflow.id, {});
    // The job vanishes (as if Redis lost it) while the step stays PENDING in PostgreSQL.
    const bull = (producer.queue as BullStepQueue).queue;
    await bull.obliterate({ force: true });
    expect(await bull.getJobCounts("waiting", "delayed")).toEqual({ waiting: 0, delayed: 0 });

    const worker = await startTestEngine(database.url, { config });
    try {
      const done = await waitForExecution(worker.db, execution.id);
      expect(done.status).toBe("SUCCEEDED");
      expect(done.steps).toHaveLength(3);
    } finally {
      await worker.stop();
      await producer.stop();
    }
  });
});

describe("the update bus", () => {
  it("delivers every change of an execution, in seq order, to a subscriber on another connection", async () => {
    const config = testConfig(database.url);
    const worker = await startTestEngine(database.url, { config });
    const listener = await startTestEngine(database.url, { worker: false, config });
    try {
      const workflow = await createWorkflow(worker.services, twoNotifications);
      const executionsOfWorkflow = listener.bus.subscribe("executionsChanged", workflow.id);
      const sales = listener.bus.subscribe("notificationSent", "sales");
      const firstStatus = executionsOfWorkflow[Symbol.asyncIterator]().next();
      const firstSale = sales[Symbol.asyncIterator]().next();
      // A workflow's executions and a role's notifications are heard on the channels for all of them.
      await waitForBusSubscribers(config.QUEUE_PREFIX, ["executionsChanged:*", "notificationSent:*"]);

      const execution = await startExecution(worker.services, workflow.id, {});
      const changes: (ExecutionChanged | StepChanged)[] = [];
      for await (const change of listener.bus.subscribe("executionUpdated", execution.id)) {
        changes.push(change);
        if (change.kind === "execution" && change.status === "SUCCEEDED") break;
      }
      const described = changes.map((c) => (c.kind === "step" ? `${c.nodeId}:${c.status}` : `execution:${c.status}`));
      expect(described.slice(-3)).toEqual(["two:RUNNING", "two:SUCCEEDED", "execution:SUCCEEDED"]);
      const seqs = changes.map((c) => c.seq);
      expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] as number) + i)); // consecutive: nothing lost in between
      expect((await firstStatus).value).toMatchObject({ executionId: execution.id, status: "PENDING", seq: 1 });
      expect((await firstSale).value).toMatchObject({ executionId: execution.id, toRole: "sales" });
      await executionsOfWorkflow.return?.();
      await sales.return?.();
    } finally {
      await listener.stop();
      await worker.stop();
    }
  });
});

describe("graceful shutdown", () => {
  it("finishes the running step on SIGTERM, then exits 0", async () => {
    server.delayMs = 1000;
    const env = testEnv(database.url, { LOG_LEVEL: "info" });
    const producer = await startTestEngine(database.url, { worker: false, config: testConfig(database.url, env) });
    const worker = spawnWorker(env);
    try {
      const workflow = await createWorkflow(producer.services, {
        name: "slow call",
        graph: {
          nodes: [node("start", "start"), node("call", "http_call", { method: "GET", url: server.url("/slow") })],
          edges: [edge("start", "call")],
        },
      });
      const execution = await startExecution(producer.services, workflow.id, {});
      await waitForStep(producer.db, execution.id, "call", "RUNNING");
      expect(await worker.stop("SIGTERM")).toBe(0);
      const done = await waitForExecution(producer.db, execution.id, ["SUCCEEDED", "FAILED", "CANCELLED"], 1000);
      expect(done.status).toBe("SUCCEEDED");
      expect(worker.output).toContain("worker stopped");
    } finally {
      server.delayMs = 0;
      await worker.killHard();
      await producer.stop();
    }
  });
});
