/**
 * Pausing a workflow in a real engine: its live executions stop before their next step (a call
 * already in flight finishes; a delay still ends on time, but what follows it waits), stay RUNNING
 * and paused, match no events meanwhile, and continue where they stopped when it is resumed, each
 * step run once. Cancelling still works while paused, and schedules stop until the resume.
 */
import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { Reconciler } from "../../src/engine/index.js";
import { ingestEvent } from "../../src/services/events.js";
import { cancelExecution, startExecution } from "../../src/services/executions.js";
import { createWorkflow, pauseWorkflow, resumeWorkflow } from "../../src/services/workflows.js";
import { stepsByNode, waitForExecution, waitForStep, waitUntil } from "../support/engine.js";
import { useFlowHarness } from "../support/flow-harness.js";
import { linked, node } from "../support/graphs.js";

const harness = useFlowHarness();
const services = () => harness.engine.services;
const db = () => harness.engine.db;

/**
 * What a paused execution must not do, observed for a while: a full reconciler pass (which
 * re-enqueues every open step it may) and then `ms`, after which no step may have moved.
 */
async function staysHeld(executionId: string, ms: number) {
  const before = await db().step.findMany({ where: { executionId }, orderBy: { nodeId: "asc" } });
  const { sql, queue, logger } = services();
  await new Reconciler({ sql, queue, logger, intervalMs: 60_000, graceMs: 0 }).runOnce(true);
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = await db().step.findMany({ where: { executionId }, orderBy: { nodeId: "asc" } });
  expect(after.map((s) => [s.nodeId, s.status, s.attempt])).toEqual(before.map((s) => [s.nodeId, s.status, s.attempt]));
}

describe("pausing a workflow", () => {
  it("lets the running call finish, holds the next step, matches no events, and continues on resume", async () => {
    let release: (() => void) | undefined;
    harness.server.route("/slow", (_req, res: ServerResponse) => {
      release = () => res.writeHead(200, { "content-type": "application/json" }).end('{"first":true}');
    });
    const workflow = await createWorkflow(services(), {
      name: "pause mid-call",
      trigger: { "==": [{ var: "kind" }, "pause-mid-call"] },
      graph: linked(
        node("start", "start"),
        node("first", "http_call", { url: harness.server.url("/slow") }),
        node("wait", "delay", { ms: 200 }),
        node("second", "http_call", { url: harness.server.url("/second") }),
      ),
    });
    const started = await startExecution(services(), workflow.id, { kind: "pause-mid-call" });
    await waitUntil(async () => release !== undefined, "the first call to arrive");

    const paused = await pauseWorkflow(services(), workflow.id);
    expect(paused.pausedAt).toBeInstanceOf(Date);
    release?.(); // the step already running finishes...
    await waitForStep(db(), started.id, "first", "SUCCEEDED");
    const held = await db().step.findUniqueOrThrow({
      where: { executionId_nodeId: { executionId: started.id, nodeId: "wait" } },
    });
    expect(held).toMatchObject({ status: "PENDING", attempt: 0 }); // ...and the next one waits
    expect(await db().execution.findUniqueOrThrow({ where: { id: started.id } })).toMatchObject({ status: "RUNNING" });

    // A paused workflow matches no events.
    const ingested = await ingestEvent(services(), { kind: "pause-mid-call" });
    expect(ingested.executions).toEqual([]);
    await staysHeld(started.id, 400);

    const resumed = await resumeWorkflow(services(), workflow.id);
    expect(resumed.pausedAt).toBeNull();
    const done = await waitForExecution(db(), started.id);
    expect(done.status).toBe("SUCCEEDED");
    const steps = stepsByNode(done.steps);
    expect(steps.first?.output).toMatchObject({ body: { first: true } });
    expect(Object.values(steps).every((s) => s.attempt === 1)).toBe(true);
    expect(harness.server.requestsTo("/slow")).toHaveLength(1);
    expect(harness.server.requestsTo("/second")).toHaveLength(1);
    // Matching again after the resume.
    expect((await ingestEvent(services(), { kind: "pause-mid-call" })).executions).toHaveLength(1);
  });

  it("lets a delay end on time but holds the step after it; a start while paused waits too", async () => {
    const workflow = await createWorkflow(services(), {
      name: "pause in a delay",
      graph: linked(
        node("start", "start"),
        node("wait", "delay", { ms: 300 }),
        node("call", "http_call", { url: harness.server.url("/after-delay") }),
      ),
    });
    const waiting = await startExecution(services(), workflow.id, {});
    await waitForStep(db(), waiting.id, "wait", "WAITING");
    await pauseWorkflow(services(), workflow.id);
    const fresh = await startExecution(services(), workflow.id, {});

    await waitForStep(db(), waiting.id, "wait", "SUCCEEDED");
    await waitForStep(db(), waiting.id, "call", "PENDING");
    await staysHeld(waiting.id, 300);
    expect(harness.server.requestsTo("/after-delay")).toHaveLength(0);
    // Never started: its entry step is held as well.
    expect(await db().execution.findUniqueOrThrow({ where: { id: fresh.id } })).toMatchObject({ status: "PENDING" });

    await resumeWorkflow(services(), workflow.id);
    expect((await waitForExecution(db(), waiting.id)).status).toBe("SUCCEEDED");
    expect((await waitForExecution(db(), fresh.id)).status).toBe("SUCCEEDED");
    expect(harness.server.requestsTo("/after-delay")).toHaveLength(2);
  });

  it("cancels a paused execution, which a resume does not revive", async () => {
    const workflow = await createWorkflow(services(), {
      name: "cancel while paused",
      graph: linked(
        node("start", "start"),
        node("wait", "delay", { ms: 100 }),
        node("call", "http_call", { url: harness.server.url("/never") }),
      ),
    });
    const started = await startExecution(services(), workflow.id, {});
    await waitForStep(db(), started.id, "wait", "WAITING");
    await pauseWorkflow(services(), workflow.id);
    await waitForStep(db(), started.id, "call", "PENDING");

    const cancelled = await cancelExecution(services(), started.id);
    expect(cancelled.status).toBe("CANCELLED");
    await resumeWorkflow(services(), workflow.id);
    const done = await waitForExecution(db(), started.id);
    expect(done.status).toBe("CANCELLED");
    expect(stepsByNode(done.steps).call?.status).toBe("CANCELLED");
    expect(harness.server.requestsTo("/never")).toHaveLength(0);
  });

  it("stops the workflow's schedules until it is resumed, and pausing twice keeps the first instant", async () => {
    const workflow = await createWorkflow(services(), {
      name: "paused schedules",
      graph: linked(node("start", "start")),
      schedules: [{ id: "hourly", cron: "0 * * * *" }],
    });
    const timer = async () =>
      (await db().schedule.findFirstOrThrow({ where: { workflowId: workflow.id, key: "hourly" } })).nextFireAt;
    expect(await timer()).toBeInstanceOf(Date);

    const first = await pauseWorkflow(services(), workflow.id);
    expect(await timer()).toBeNull();
    const again = await pauseWorkflow(services(), workflow.id);
    expect(again.pausedAt).toEqual(first.pausedAt);

    await resumeWorkflow(services(), workflow.id);
    expect((await timer())?.getTime()).toBeGreaterThan(Date.now());
  });
});
