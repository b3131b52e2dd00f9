/**
 * OpenTelemetry traces across real processes: a server (src/server.ts) and a separate worker
 * (src/worker.ts), both exporting OTLP/JSON to a receiver in this process. An event sent with a
 * caller's traceparent starts start → http_call (503 once, then 200: a retry) → delay → end; every
 * span of the execution, from both processes, is in the trace derived from its id, the step spans
 * are children of the zero-length execution.started span, which links to the event's span in the
 * caller's trace, and the service called received the traceparent of each http_call attempt.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkflow } from "../../src/services/workflows.js";
import { executionIds } from "../../src/telemetry/ids.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, type TestEngine, testEnv, waitForExecution, waitUntil } from "../support/engine.js";
import { TestHttpServer } from "../support/http-server.js";
import { OtlpReceiver, type ReceivedSpan, type OtlpReceiver as Receiver } from "../support/otlp-receiver.js";
import { freePort } from "../support/ports.js";
import { ChildHandle, spawnWorker } from "../support/processes.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const database = useTestDatabase();
const CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";

let target: TestHttpServer;
let receiver: Receiver;
let engine: TestEngine;
let server: ChildHandle | undefined;
let worker: ChildHandle | undefined;
let serverUrl: string;
let workerEnv: Record<string, string>;

/** A server and a separate worker, both exporting to the receiver, told apart by service.instance.id. */
beforeAll(async () => {
  target = await new TestHttpServer().start();
  receiver = await new OtlpReceiver().start();
  engine = await startTestEngine(database.url, { worker: false });
  const port = await freePort();
  const otel = {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_BSP_SCHEDULE_DELAY: "50",
    OTEL_SERVICE_NAME: "workflow-engine-test",
  };
  const base = testEnv(database.url, {
    QUEUE_NAME: engine.config.QUEUE_NAME,
    QUEUE_PREFIX: engine.config.QUEUE_PREFIX,
  });
  const spawned = spawnServer({
    ...base,
    ...otel,
    OTEL_RESOURCE_ATTRIBUTES: "service.instance.id=server",
    PORT: String(port),
    HOST: "127.0.0.1",
  });
  server = spawned;
  workerEnv = { ...base, ...otel, OTEL_RESOURCE_ATTRIBUTES: "service.instance.id=worker" };
  worker = spawnWorker(workerEnv);
  serverUrl = `http://127.0.0.1:${port}`;
  await waitUntil(() => answers(`${serverUrl}/readyz`), "the server to answer", 60_000).catch((error: unknown) => {
    throw new Error(`${String(error)} (last: ${lastAnswer})\n${spawned.output}`);
  });
}, 90_000);

afterAll(async () => {
  await worker?.stop();
  await server?.stop();
  await engine?.stop();
  await receiver?.stop();
  await target?.stop();
});

function spawnServer(env: Record<string, string>): ChildHandle {
  const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new ChildHandle(child);
}

let lastAnswer = "no answer yet";

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url);
    lastAnswer = `${response.status} ${await response.text()}`;
    return response.ok;
  } catch (error) {
    lastAnswer = String(error);
    return false;
  }
}

const byName = (spans: readonly ReceivedSpan[], name: string) => spans.filter((s) => s.name === name);

describe("traces", () => {
  it("puts one execution's spans from a server and a worker in one trace, under execution.started", async () => {
    target.script("/call", { status: 503, body: { busy: true } }, { status: 200, body: { ok: true } });
    await createWorkflow(engine.services, {
      name: "Traced",
      trigger: { "==": [{ var: "kind" }, "traced"] },
      graph: {
        nodes: [
          { id: "start", type: "start", data: {} },
          {
            id: "call",
            type: "http_call",
            data: { method: "POST", url: target.url("/call"), retry: { attempts: 3, backoffMs: 50 } },
          },
          { id: "pause", type: "delay", data: { ms: 300 } },
          { id: "done", type: "end", data: {} },
        ],
        edges: [
          { id: "e1", source: "start", target: "call" },
          { id: "e2", source: "call", target: "pause" },
          { id: "e3", source: "pause", target: "done" },
        ],
      },
    });

    {
      const response = await fetch(`${serverUrl}/events`, {
        method: "POST",
        headers: { "content-type": "application/json", traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` },
        body: JSON.stringify({ kind: "traced" }),
      });
      expect(response.status).toBe(200);
      const sent = (await response.json()) as { execution_ids: string[]; event_id: string };
      expect(sent.execution_ids).toHaveLength(1);
      const executionId = sent.execution_ids[0] as string;
      const finished = await waitForExecution(engine.db, executionId);
      expect(finished.status).toBe("SUCCEEDED");

      const ids = executionIds(executionId);
      const ofExecution = (spans: readonly ReceivedSpan[]) => spans.filter((s) => s.traceId === ids.traceId);
      // The last step's span is the last to be exported.
      await receiver.waitFor(
        (spans) => ofExecution(spans).some((s) => s.attributes["workflow.node.id"] === "done"),
        "the end step's span",
      );
      await receiver.waitFor((spans) => byName(spans, "event.ingest").length >= 1, "the event's span");
      expect(receiver.refused).toEqual([]);
      const spans = ofExecution(receiver.spans);

      // Every span that names the execution is in its trace, from both processes.
      const named = receiver.spans.filter((s) => s.attributes["workflow.execution.id"] === executionId);
      expect(named.every((s) => s.traceId === ids.traceId)).toBe(true);
      expect(new Set(spans.map((s) => s.resource["service.instance.id"]))).toEqual(new Set(["server", "worker"]));
      expect(new Set(spans.map((s) => s.resource["process.pid"])).size).toBe(2);
      expect(spans.every((s) => s.resource["service.name"] === "workflow-engine-test")).toBe(true);

      // execution.started: the derived root, zero-length, emitted by the server that committed the execution.
      const [started, ...more] = byName(spans, "execution.started");
      expect(more).toEqual([]);
      expect(started?.spanId).toBe(ids.spanId);
      expect(started?.parentSpanId).toBe("");
      expect(started?.endNs).toBe(started?.startNs);
      expect(started?.resource["service.instance.id"]).toBe("server");
      expect(started?.attributes["workflow.id"]).toBe(finished.workflowId);

      // The event's span is in the caller's trace, a child of its span; execution.started links to it.
      const [event] = byName(receiver.spans, "event.ingest");
      expect(event?.traceId).toBe(CALLER_TRACE);
      expect(event?.parentSpanId).toBe(CALLER_SPAN);
      expect(event?.attributes["workflow.event.id"]).toBe(sent.event_id);
      expect(event?.attributes["workflow.event.execution_ids"]).toEqual([executionId]);
      expect(started?.links).toContainEqual(expect.objectContaining({ traceId: CALLER_TRACE, spanId: event?.spanId }));

      // Step attempts: children of execution.started, run by the worker, with their outcomes.
      const steps = spans.filter((s) => s.name.startsWith("step."));
      expect(steps.every((s) => s.parentSpanId === ids.spanId)).toBe(true);
      expect(steps.every((s) => s.resource["service.instance.id"] === "worker")).toBe(true);
      const attempts = steps.map((s) => [
        s.attributes["workflow.node.id"],
        s.attributes["workflow.node.type"],
        s.attributes["workflow.step.attempt"],
        s.attributes["workflow.step.outcome"],
      ]);
      expect(attempts).toEqual(
        expect.arrayContaining([
          ["start", "start", 1, "succeeded"],
          ["call", "http_call", 1, "retry"],
          ["call", "http_call", 2, "succeeded"],
          // Tried in memory right after the call (its record cannot hold a wait not over), then on its own.
          ["pause", "delay", 1, "deferred"],
          ["pause", "delay", 1, "waiting"],
          ["done", "end", 1, "succeeded"],
        ]),
      );
      expect(steps).toHaveLength(6);

      // The service called received each attempt's own span as its parent.
      const calls = steps
        .filter((s) => s.attributes["workflow.node.id"] === "call")
        .sort((a, b) => Number(a.attributes["workflow.step.attempt"]) - Number(b.attributes["workflow.step.attempt"]));
      const received = target.requestsTo("/call").map((r) => r.headers.traceparent);
      expect(received).toEqual(calls.map((s) => `00-${ids.traceId}-${s.spanId}-01`));
    }
  });

  it("links a child execution's trace to its parent's; sendEvent ignores a malformed traceparent", async () => {
    const child = await createWorkflow(engine.services, {
      name: "Traced child",
      trigger: {},
      graph: {
        nodes: [
          { id: "start", type: "start", data: {} },
          { id: "pause", type: "delay", data: { ms: 100 } },
        ],
        edges: [{ id: "e1", source: "start", target: "pause" }],
      },
    });
    await createWorkflow(engine.services, {
      name: "Traced parent",
      trigger: { "==": [{ var: "kind" }, "family"] },
      graph: {
        nodes: [
          { id: "start", type: "start", data: {} },
          { id: "call", type: "call_workflow", data: { workflowId: child.id } },
        ],
        edges: [{ id: "e1", source: "start", target: "call" }],
      },
    });
    const response = await fetch(`${serverUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: "00-not-a-trace-context-01" },
      body: JSON.stringify({
        query: 'mutation { sendEvent(payload: {kind: "family"}) { event { id } executions { id } } }',
      }),
    });
    const answer = (await response.json()) as {
      data?: { sendEvent: { event: { id: string }; executions: { id: string }[] } };
      errors?: unknown[];
    };
    expect(answer.errors).toBeUndefined();
    const sent = answer.data?.sendEvent;
    const parentId = sent?.executions[0]?.id as string;
    expect(parentId).toBeDefined();
    expect((await waitForExecution(engine.db, parentId)).status).toBe("SUCCEEDED");
    const kid = await engine.db.execution.findFirstOrThrow({ where: { parentExecutionId: parentId } });

    const parentIds = executionIds(parentId);
    const childIds = executionIds(kid.id);
    await receiver.waitFor(
      (spans) => spans.some((s) => s.traceId === childIds.traceId && s.name === "step.delay"),
      "the child's delay span",
    );
    await receiver.waitFor(
      (spans) => spans.some((s) => s.attributes["workflow.event.id"] === sent?.event.id),
      "the event's span",
    );
    // A malformed traceparent is ignored: the event's span starts a trace of its own.
    const event = receiver.spans.find((s) => s.attributes["workflow.event.id"] === sent?.event.id);
    expect(event?.parentSpanId).toBe("");
    expect(event?.traceId).not.toBe(CALLER_TRACE);

    // The child's execution.started, emitted by the worker that recorded the call, links to its parent's.
    const childStarted = receiver.spans.find((s) => s.traceId === childIds.traceId && s.name === "execution.started");
    expect(childStarted?.spanId).toBe(childIds.spanId);
    expect(childStarted?.resource["service.instance.id"]).toBe("worker");
    expect(childStarted?.attributes["workflow.parent_execution.id"]).toBe(parentId);
    expect(childStarted?.links).toContainEqual(
      expect.objectContaining({ traceId: parentIds.traceId, spanId: parentIds.spanId }),
    );
    // …and to the call_workflow attempt that started it, recorded by the same worker.
    const callSpan = receiver.spans.find((s) => s.traceId === parentIds.traceId && s.name === "step.call_workflow");
    expect(childStarted?.links).toContainEqual(
      expect.objectContaining({ traceId: parentIds.traceId, spanId: callSpan?.spanId }),
    );
    const childSteps = receiver.spans.filter((s) => s.traceId === childIds.traceId && s.name.startsWith("step."));
    expect(childSteps.every((s) => s.parentSpanId === childIds.spanId)).toBe(true);
    // The parent's call_workflow attempt is in the parent's trace, waiting for its child.
    const call = receiver.spans.find((s) => s.traceId === parentIds.traceId && s.name === "step.call_workflow");
    expect(call?.attributes["workflow.step.outcome"]).toBe("waiting");
    expect(call?.parentSpanId).toBe(parentIds.spanId);
  });

  it("keeps an execution in one trace when the worker running it is killed and another resumes it", async () => {
    await createWorkflow(engine.services, {
      name: "Traced restart",
      trigger: { "==": [{ var: "kind" }, "restart"] },
      graph: {
        nodes: [
          { id: "start", type: "start", data: {} },
          { id: "pause", type: "delay", data: { ms: 1500 } },
          { id: "done", type: "end", data: {} },
        ],
        edges: [
          { id: "e1", source: "start", target: "pause" },
          { id: "e2", source: "pause", target: "done" },
        ],
      },
    });
    const response = await fetch(`${serverUrl}/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "restart" }),
    });
    const executionId = ((await response.json()) as { execution_ids: string[] }).execution_ids[0] as string;
    const ids = executionIds(executionId);
    const ofExecution = (spans: readonly ReceivedSpan[]) => spans.filter((s) => s.traceId === ids.traceId);
    // The delay is parked (its span exported): the worker dies with the wait in progress.
    await receiver.waitFor(
      (spans) => ofExecution(spans).some((s) => s.attributes["workflow.step.outcome"] === "waiting"),
      "the delay's span",
    );
    await worker?.killHard();
    worker = spawnWorker(workerEnv);
    expect((await waitForExecution(engine.db, executionId)).status).toBe("SUCCEEDED");
    await receiver.waitFor(
      (spans) => ofExecution(spans).some((s) => s.attributes["workflow.node.id"] === "done"),
      "the end step's span, from the new worker",
    );
    const spans = ofExecution(receiver.spans);
    const pid = (node: string) => spans.find((s) => s.attributes["workflow.node.id"] === node)?.resource["process.pid"];
    expect(pid("done")).toBeDefined();
    expect(pid("done")).not.toBe(pid("start"));
    expect(spans.filter((s) => s.name.startsWith("step.")).every((s) => s.parentSpanId === ids.spanId)).toBe(true);
  });
});
