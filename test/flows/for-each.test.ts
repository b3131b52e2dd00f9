/**
 * for_each in a real engine: 200 items at most 5 at a time (counted at the HTTP target and from
 * the recorded times), results in item order, tolerated failures, and the step failing (with the
 * items still running cancelled) once more items fail than tolerated.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { stepsByNode, waitForExecution } from "../support/engine.js";
import { useFlowHarness } from "../support/flow-harness.js";
import { linked, node } from "../support/graphs.js";

const harness = useFlowHarness();
const services = () => harness.engine.services;
const db = () => harness.engine.db;

/** An item service: answers /item?i=N after `delayMs` with {i}, 404 at once for the failing indexes; counts calls in flight. */
function itemService(path: string, failing: ReadonlySet<number>, delayMs = 15) {
  const seen = { inFlight: 0, peak: 0, calls: new Map<number, number>() };
  harness.server.route(path, (req: IncomingMessage, res: ServerResponse) => {
    const i = Number(new URL(req.url ?? "/", "http://x").searchParams.get("i"));
    seen.calls.set(i, (seen.calls.get(i) ?? 0) + 1);
    seen.inFlight += 1;
    seen.peak = Math.max(seen.peak, seen.inFlight);
    setTimeout(
      () => {
        seen.inFlight -= 1;
        res.writeHead(failing.has(i) ? 404 : 200, { "content-type": "application/json" });
        res.end(JSON.stringify({ i }));
      },
      failing.has(i) ? 0 : delayMs,
    );
  });
  return seen;
}

async function itemWorkflow(path: string) {
  return createWorkflow(services(), {
    name: `item ${path}`,
    graph: linked(
      node("start", "start"),
      node("fetch", "http_call", { url: `${harness.server.url(path)}?i={{payload.index}}`, retry: { attempts: 1 } }),
    ),
  });
}

async function mapper(name: string, data: Record<string, unknown>) {
  return createWorkflow(services(), {
    name,
    graph: linked(
      node("start", "start"),
      node("each", "for_each", data),
      node("after", "send_notification", { toRole: "AE", message: "{{steps.each.output.succeeded}} ok" }),
    ),
  });
}

/** The most intervals [start, end) open at one instant. */
function peakOverlap(intervals: readonly { start: number; end: number }[]): number {
  const marks = intervals.flatMap((i) => [
    { at: i.start, delta: 1 },
    { at: i.end, delta: -1 },
  ]);
  marks.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let peak = 0;
  for (const mark of marks) {
    open += mark.delta;
    peak = Math.max(peak, open);
  }
  return peak;
}

describe("for_each", () => {
  it("runs 200 items at most 5 at a time, each once, with results in item order", async () => {
    const seen = itemService("/item-200", new Set());
    const item = await itemWorkflow("/item-200");
    const parent = await mapper("map 200", { items: "{{payload.lines}}", workflowId: item.id, maxConcurrency: 5 });
    const lines = Array.from({ length: 200 }, (_, i) => ({ sku: `s${i}` }));
    const started = await startExecution(services(), parent.id, { order: 7, lines });
    const done = await waitForExecution(db(), started.id, undefined, 60_000);
    expect(done.status).toBe("SUCCEEDED");

    const output = stepsByNode(done.steps).each?.output as {
      results: { index: number; status: string; output: { fetch: { body: { i: number } } } }[];
      succeeded: number;
      failed: number;
    };
    expect(output.succeeded).toBe(200);
    expect(output.failed).toBe(0);
    expect(output.results.map((r) => r.index)).toEqual(lines.map((_, i) => i));
    expect(output.results.map((r) => r.output.fetch.body.i)).toEqual(lines.map((_, i) => i));
    expect(stepsByNode(done.steps).after?.output).toMatchObject({ message: "200 ok" });

    expect([...seen.calls.values()].every((n) => n === 1)).toBe(true);
    expect(seen.calls.size).toBe(200);
    expect(seen.peak).toBeLessThanOrEqual(5);
    expect(seen.peak).toBeGreaterThan(1); // they did run side by side

    const children = await db().execution.findMany({
      where: { parentExecutionId: started.id },
      include: { steps: { where: { nodeId: "fetch" } } },
    });
    expect(children).toHaveLength(200);
    const first = children.find((c) => c.childIndex === 3);
    expect(first?.payload).toEqual({ item: { sku: "s3" }, index: 3, parent: { order: 7, lines } });
    const calls = children.flatMap((c) =>
      c.steps.map((s) => ({ start: s.startedAt?.getTime() ?? 0, end: s.finishedAt?.getTime() ?? 0 })),
    );
    expect(calls).toHaveLength(200);
    expect(peakOverlap(calls)).toBeLessThanOrEqual(5);
  });

  it("tolerates failures up to the count or percentage, reporting each item's status", async () => {
    itemService("/item-tolerated", new Set([1, 4]));
    const item = await itemWorkflow("/item-tolerated");
    const parent = await mapper("map tolerated", {
      items: "{{payload.items}}",
      workflowId: item.id,
      maxConcurrency: 3,
      toleratedFailures: "20%",
    });
    const done = await waitForExecution(
      db(),
      (await startExecution(services(), parent.id, { items: [...Array(10).keys()] })).id,
    );
    expect(done.status).toBe("SUCCEEDED");
    const output = stepsByNode(done.steps).each?.output as {
      results: { status: string; error?: string }[];
      failed: number;
    };
    expect(output.failed).toBe(2);
    expect(output.results.map((r) => r.status)).toEqual(
      [...Array(10).keys()].map((i) => (i === 1 || i === 4 ? "FAILED" : "SUCCEEDED")),
    );
    expect(output.results[1]?.error).toContain("404");
  });

  it("fails once more items fail than tolerated, cancelling the items still running and starting no more", async () => {
    const seen = itemService("/item-failing", new Set([0, 1]), 3000);
    const item = await itemWorkflow("/item-failing");
    const parent = await mapper("map failing", {
      items: "{{payload.items}}",
      workflowId: item.id,
      maxConcurrency: 4,
      toleratedFailures: 1,
    });
    const done = await waitForExecution(
      db(),
      (await startExecution(services(), parent.id, { items: [...Array(50).keys()] })).id,
    );
    expect(done.status).toBe("FAILED");
    expect(done.error).toMatch(
      /^each: 2 of 50 items failed \(1 tolerated\); item [01] \(execution .+\) FAILED: fetch: /,
    );
    const children = await db().execution.findMany({ where: { parentExecutionId: done.id } });
    expect(children.length).toBeLessThan(50);
    for (const child of children) await waitForExecution(db(), child.id);
    const after = await db().execution.findMany({ where: { parentExecutionId: done.id } });
    expect(after.every((c) => c.status !== "PENDING" && c.status !== "RUNNING")).toBe(true);
    expect(after.filter((c) => c.status === "CANCELLED").length).toBeGreaterThan(0);
    // Only started items were called, each once.
    expect(seen.calls.size).toBeLessThanOrEqual(after.length);
    expect([...seen.calls.values()].every((n) => n === 1)).toBe(true);
  });

  it("an empty list succeeds at once; a template that is not a list fails the step naming it", async () => {
    const item = await itemWorkflow("/item-none");
    const parent = await mapper("map empty", { items: "{{payload.items}}", workflowId: item.id });
    const empty = await waitForExecution(db(), (await startExecution(services(), parent.id, { items: [] })).id);
    expect(empty.status).toBe("SUCCEEDED");
    expect(stepsByNode(empty.steps).each?.output).toEqual({ results: [], succeeded: 0, failed: 0 });
    const wrong = await waitForExecution(db(), (await startExecution(services(), parent.id, { items: { a: 1 } })).id);
    expect(wrong.status).toBe("FAILED");
    expect(wrong.error).toBe("each: items must render to an array, got object");
  });
});
