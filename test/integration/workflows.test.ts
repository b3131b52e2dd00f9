import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError, ValidationError } from "../../src/errors.js";
import { ingestEvent, simulateEvent } from "../../src/services/events.js";
import { getExecution, listExecutions, listSteps, startExecution } from "../../src/services/executions.js";
import { seed } from "../../src/services/seed.js";
import {
  createWorkflow,
  deleteWorkflow,
  getWorkflow,
  listWorkflows,
  updateWorkflow,
} from "../../src/services/workflows.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, type TestEngine } from "../support/engine.js";

const database = useTestDatabase();
let engine: TestEngine;

beforeAll(async () => {
  engine = await startTestEngine(database.url, { worker: false });
});

afterAll(async () => {
  await engine?.stop();
});

const startOnly = { nodes: [{ id: "start", type: "start", data: {}, position: { x: 0, y: 0 } }], edges: [] };

async function problemsOf(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).problems;
}

describe("workflow services", () => {
  it("creates the original UI's new workflow and snapshots version 1", async () => {
    const workflow = await createWorkflow(engine.services, { name: "New Workflow", trigger: {}, graph: startOnly });
    expect(workflow).toMatchObject({ name: "New Workflow", version: 1, isActive: true, trigger: {}, graph: startOnly });
    const versions = await engine.db.workflowVersion.findMany({ where: { workflowId: workflow.id } });
    expect(versions).toMatchObject([{ version: 1, graph: startOnly, trigger: {} }]);
  });

  it("rejects an invalid definition with every problem, and saves nothing", async () => {
    const before = await engine.db.workflow.count();
    const problems = await problemsOf(
      createWorkflow(engine.services, {
        name: " ",
        trigger: { nope: [] },
        graph: {
          nodes: [
            { id: "start", type: "start" },
            { id: "x", type: "http_call", data: {} },
          ],
          edges: [{ source: "start", target: "x" }],
        },
      }),
    );
    expect(problems).toEqual([
      { path: "name", message: "required" },
      { path: "trigger.nope", message: 'unknown JSONLogic operator "nope"' },
      { path: "graph.nodes[1].data.url", message: "required" },
    ]);
    expect(await engine.db.workflow.count()).toBe(before);
  });

  it("updates partially, bumps the version and keeps every snapshot", async () => {
    const workflow = await createWorkflow(engine.services, { name: "Partial", description: "d", graph: startOnly });
    const renamed = await updateWorkflow(engine.services, workflow.id, { name: "Renamed" });
    expect(renamed).toMatchObject({ name: "Renamed", description: "d", version: 2, graph: startOnly });
    const paused = await updateWorkflow(engine.services, workflow.id, { isActive: false, description: null });
    expect(paused).toMatchObject({ name: "Renamed", description: null, isActive: false, version: 3 });
    expect(await engine.db.workflowVersion.count({ where: { workflowId: workflow.id } })).toBe(3);
    await expect(
      problemsOf(
        updateWorkflow(engine.services, workflow.id, {
          graph: {
            nodes: [
              { id: "a", type: "start" },
              { id: "a", type: "end" },
            ],
          },
        }),
      ),
    ).resolves.toEqual([{ path: "graph.nodes[1].id", message: 'duplicate node id "a"' }]);
  });

  it("answers NotFound for unknown and deleted workflows", async () => {
    await expect(getWorkflow(engine.services, "nope")).rejects.toBeInstanceOf(NotFoundError);
    await expect(updateWorkflow(engine.services, "nope", { name: "x" })).rejects.toThrow("Workflow not found");
    await expect(startExecution(engine.services, "nope", {})).rejects.toThrow("Workflow not found");
    const workflow = await createWorkflow(engine.services, { name: "Doomed", graph: startOnly });
    await deleteWorkflow(engine.services, workflow.id);
    await expect(getWorkflow(engine.services, workflow.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await listWorkflows(engine.services)).map((w) => w.id)).not.toContain(workflow.id);
    await expect(deleteWorkflow(engine.services, workflow.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("lists workflows oldest first with cursor pages and an isActive filter", async () => {
    const all = await listWorkflows(engine.services);
    const page1 = await listWorkflows(engine.services, { take: 2 });
    const page2 = await listWorkflows(engine.services, { take: 2, afterId: page1[1]?.id });
    expect([...page1, ...page2].map((w) => w.id)).toEqual(all.slice(0, 4).map((w) => w.id));
    expect((await listWorkflows(engine.services, { isActive: false })).every((w) => !w.isActive)).toBe(true);
  });
});

describe("events and executions", () => {
  it("rejects payloads that are not objects or are too large", async () => {
    expect(await problemsOf(ingestEvent(engine.services, [1, 2]))).toEqual([
      { path: "payload", message: "must be a JSON object" },
    ]);
    const huge = { blob: "x".repeat(engine.config.MAX_EVENT_BYTES) };
    expect((await problemsOf(ingestEvent(engine.services, huge)))[0]?.message).toMatch(
      /^too large: \d+ bytes, the limit is 1000000$/,
    );
    expect(await problemsOf(ingestEvent(engine.services, {}, ""))).toEqual([
      { path: "idempotencyKey", message: "must be 1 to 255 characters" },
    ]);
  });

  it("simulates which workflows match, and sees new and changed triggers at once", async () => {
    const workflow = await createWorkflow(engine.services, {
      name: "hot",
      trigger: { ">": [{ var: "temp" }, 30] },
      graph: startOnly,
    });
    expect(await simulateEvent(engine.services, { temp: 31 })).toContain(workflow.id);
    await updateWorkflow(engine.services, workflow.id, { trigger: { ">": [{ var: "temp" }, 40] } });
    expect(await simulateEvent(engine.services, { temp: 31 })).not.toContain(workflow.id);
    await updateWorkflow(engine.services, workflow.id, { isActive: false, trigger: { ">": [{ var: "temp" }, 0] } });
    expect(await simulateEvent(engine.services, { temp: 31 })).not.toContain(workflow.id);
  });

  it("starts an empty draft workflow as an execution that succeeds at once", async () => {
    const workflow = await createWorkflow(engine.services, { name: "Draft" });
    expect(workflow.graph).toEqual({ nodes: [], edges: [] });
    const execution = await startExecution(engine.services, workflow.id, { a: 1 });
    expect(execution).toMatchObject({ status: "SUCCEEDED", payload: { a: 1 }, workflowVersion: 1 });
    expect(await listSteps(engine.services, execution.id)).toEqual([]);
  });

  it("lists executions newest first, filtered by workflow and status", async () => {
    const workflow = await createWorkflow(engine.services, { name: "Lister", graph: startOnly });
    const first = await startExecution(engine.services, workflow.id, { n: 1 });
    const second = await startExecution(engine.services, workflow.id, { n: 2 });
    const listed = await listExecutions(engine.services, { workflowId: workflow.id });
    expect(listed.map((e) => e.id)).toEqual([second.id, first.id]);
    expect(await listExecutions(engine.services, { workflowId: workflow.id, status: "SUCCEEDED" })).toEqual([]);
    expect((await getExecution(engine.services, first.id)).status).toBe("PENDING");
    await expect(getExecution(engine.services, "nope")).rejects.toThrow("Execution not found");
  });
});

describe("seed", () => {
  it("loads the two sample workflows once, however often it runs", async () => {
    const first = await seed(engine.services);
    const second = await seed(engine.services);
    expect(first.created).toEqual(["Lead routing", "Temperature control"]);
    expect(second).toEqual({ created: [], existing: ["Lead routing", "Temperature control"] });
    const names = (await listWorkflows(engine.services)).map((w) => w.name);
    expect(names.filter((n) => n === "Lead routing" || n === "Temperature control")).toHaveLength(2);
    // The README's curl matches "Lead routing".
    const matched = await simulateEvent(engine.services, { lead: { source: "LinkedIn", score: 90, title: "CEO" } });
    const lead = await engine.db.workflow.findFirstOrThrow({ where: { name: "Lead routing" } });
    expect(matched).toContain(lead.id);
  });
});
