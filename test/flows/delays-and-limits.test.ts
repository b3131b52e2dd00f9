import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExecutionChanged, StepChanged } from "../../src/bus/topics.js";
import { startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { useTestDatabase } from "../support/database.js";
import {
  startTestEngine,
  stepsByNode,
  type TestEngine,
  testConfig,
  waitForExecution,
  waitUntil,
} from "../support/engine.js";
import { edge, node } from "../support/graphs.js";

const database = useTestDatabase();
let workers: TestEngine[] = [];

const DELAY_MS = 700;

const delayFlow = {
  name: "wait then notify",
  graph: {
    nodes: [
      node("start", "start"),
      node("wait", "delay", { ms: DELAY_MS }),
      node("say", "send_notification", { toRole: "ops", message: "on time" }),
    ],
    edges: [edge("start", "wait"), edge("wait", "say")],
  },
};

beforeAll(async () => {
  // Two workers on one queue, as two worker processes would be.
  const config = testConfig(database.url);
  workers = [await startTestEngine(database.url, { config }), await startTestEngine(database.url, { config })];
});

afterAll(async () => {
  for (const worker of workers) await worker.stop();
});

describe("delays", () => {
  it("fire once each, not before their time, with two workers competing", async () => {
    const [a, b] = workers as [TestEngine, TestEngine];
    const workflow = await createWorkflow(a.services, delayFlow);
    const seen: (ExecutionChanged | StepChanged)[] = [];
    const started = await Promise.all(
      Array.from({ length: 6 }, (_, i) => startExecution((i % 2 ? a : b).services, workflow.id, { i })),
    );
    // Listen on the bus of worker b to every change of the first execution.
    const subscription = b.bus.subscribe("executionUpdated", started[0]?.id as string);
    const collecting = (async () => {
      for await (const change of subscription) {
        seen.push(change);
        if (change.kind === "execution" && change.status === "SUCCEEDED") break;
      }
    })();

    for (const execution of started) {
      const done = await waitForExecution(a.db, execution.id);
      const steps = stepsByNode(done.steps);
      expect(done.status).toBe("SUCCEEDED");
      const wait = steps.wait;
      expect(wait?.resumeAt?.getTime()).toBeGreaterThanOrEqual((wait?.startedAt?.getTime() ?? 0) + DELAY_MS);
      expect(wait?.finishedAt?.getTime()).toBeGreaterThanOrEqual(wait?.resumeAt?.getTime() ?? Infinity);
      expect(steps.say?.createdAt.getTime()).toBeGreaterThanOrEqual(wait?.resumeAt?.getTime() ?? Infinity);
      // Every transition bumps seq once: 13 changes means the wait ended exactly once.
      expect(done.seq).toBe(13);
    }
    await collecting;
    const waitEnds = seen.filter((c) => c.kind === "step" && c.nodeId === "wait" && c.status === "SUCCEEDED");
    expect(waitEnds).toHaveLength(1);
    const seqs = seen.map((c) => c.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
  });

  it("accepts a 24-hour delay and keeps it in the database, due once at its time", async () => {
    const [a] = workers as [TestEngine];
    const workflow = await createWorkflow(a.services, {
      ...delayFlow,
      name: "a day",
      graph: {
        ...delayFlow.graph,
        nodes: [node("start", "start"), node("wait", "delay", { ms: 86_400_000 }), delayFlow.graph.nodes[2]],
      },
    });
    const execution = await startExecution(a.services, workflow.id, {});
    await waitUntil(
      async () =>
        (await a.db.step.count({ where: { executionId: execution.id, nodeId: "wait", status: "WAITING" } })) === 1,
      "the day-long wait",
    );
    const wait = await a.db.step.findUniqueOrThrow({
      where: { executionId_nodeId: { executionId: execution.id, nodeId: "wait" } },
    });
    expect(wait.resumeAt?.getTime()).toBeGreaterThanOrEqual(Date.now() + 86_400_000 - 60_000);
    // The end of the wait is queued (as a delayed job) for its time.
    expect(await a.queue.hasJob(`${wait.id}-w`)).toBe(true);
  });
});

describe("limits", () => {
  it("fails an execution that would exceed the step limit, with a clear error", async () => {
    const limited = await startTestEngine(database.url, { overrides: { MAX_STEPS_PER_EXECUTION: "3" } });
    try {
      const chain = ["start", "a", "b", "c", "d"];
      const workflow = await createWorkflow(limited.services, {
        name: "long chain",
        graph: {
          nodes: chain.map((id, i) =>
            i === 0 ? node(id, "start") : node(id, "send_notification", { toRole: "ops", message: id }),
          ),
          edges: chain.slice(1).map((id, i) => edge(chain[i] as string, id)),
        },
      });
      const done = await waitForExecution(limited.db, (await startExecution(limited.services, workflow.id, {})).id);
      expect(done.status).toBe("FAILED");
      expect(done.error).toBe("step limit reached: an execution may run at most 3 steps");
      expect(done.steps).toHaveLength(3);
    } finally {
      await limited.stop();
    }
  });

  it("stores an oversized output as a flagged, truncated preview", async () => {
    const limited = await startTestEngine(database.url, { overrides: { MAX_STEP_OUTPUT_BYTES: "1000" } });
    try {
      const workflow = await createWorkflow(limited.services, {
        name: "big message",
        graph: {
          nodes: [
            node("start", "start"),
            node("say", "send_notification", { toRole: "ops", message: "{{payload.text}}" }),
          ],
          edges: [edge("start", "say")],
        },
      });
      const text = "x".repeat(5000);
      const done = await waitForExecution(
        limited.db,
        (await startExecution(limited.services, workflow.id, { text })).id,
      );
      const output = stepsByNode(done.steps).say?.output as { truncated: boolean; bytes: number; preview: string };
      expect(done.status).toBe("SUCCEEDED");
      expect(output.truncated).toBe(true);
      expect(output.bytes).toBeGreaterThan(5000);
      expect(output.preview.length).toBeLessThanOrEqual(1000);
    } finally {
      await limited.stop();
    }
  });

  it("fails a step whose template renders past MAX_TEMPLATE_OUTPUT_BYTES, naming the field and the limit", async () => {
    const limited = await startTestEngine(database.url, { overrides: { MAX_TEMPLATE_OUTPUT_BYTES: "10000" } });
    try {
      const workflow = await createWorkflow(limited.services, {
        name: "template bomb",
        graph: {
          nodes: [
            node("start", "start"),
            // 3 KB of payload, repeated 8 times: 24 KB rendered from a 100-byte template.
            node("say", "send_notification", { toRole: "ops", message: "{{payload.text}}".repeat(8) }),
          ],
          edges: [edge("start", "say")],
        },
      });
      const done = await waitForExecution(
        limited.db,
        (await startExecution(limited.services, workflow.id, { text: "x".repeat(3000) })).id,
      );
      const say = stepsByNode(done.steps).say;
      expect(done.status).toBe("FAILED");
      expect(say?.status).toBe("FAILED");
      expect(say?.attempt).toBe(1);
      expect(say?.error).toMatch(
        /data\.message: the rendered template is at least \d+ bytes; the limit is 10000 \(MAX_TEMPLATE_OUTPUT_BYTES\)/,
      );
      expect(say?.input).toEqual({ toRole: "ops", message: { refused: true, bytes: expect.any(Number) } });
      expect(await limited.db.notification.count({ where: { executionId: done.id } })).toBe(0);
    } finally {
      await limited.stop();
    }
  });
});
