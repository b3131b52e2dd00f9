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

beforeAll(async () => {
  target = await new TestHttpServer().start();
  receiver = await new OtlpReceiver().start();
  engine = await startTestEngine(database.url, { worker: false });
});

afterAll(async () => {
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

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
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
    const server = spawnServer({
      ...base,
      ...otel,
      OTEL_RESOURCE_ATTRIBUTES: "service.instance.id=server",
      PORT: String(port),
      HOST: "127.0.0.1",
    });
    const worker = spawnWorker({ ...base, ...otel, OTEL_RESOURCE_ATTRIBUTES: "service.instance.id=worker" });
    try {
      await waitUntil(() => answers(`http://127.0.0.1:${port}/readyz`), `the server to answer\n${server.output}`);
      const response = await fetch(`http://127.0.0.1:${port}/events`, {
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
    } finally {
      await worker.stop();
      await server.stop();
    }
  });
});
