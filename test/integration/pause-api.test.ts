/**
 * Pausing as clients see it: pauseWorkflow / resumeWorkflow over GraphQL (Workflow.paused and
 * pausedAt, Execution.paused on a held execution) and POST /workflows/{id}/pause|resume over REST
 * (paused, paused_at; an execution's paused), and an unknown workflow named in both.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import type { Yoga } from "../../src/graphql/yoga.js";
import { startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, type TestEngine, waitForExecution, waitForStep } from "../support/engine.js";
import { gql } from "../support/graphql.js";
import { linked, node } from "../support/graphs.js";
import { rest } from "../support/rest.js";

const database = useTestDatabase();
let engine: TestEngine;
let app: ReturnType<typeof createApp>["app"];
let yoga: Yoga;

beforeAll(async () => {
  engine = await startTestEngine(database.url);
  ({ app, yoga } = createApp(engine));
});
afterAll(async () => {
  await engine?.stop();
});

const MISSING = "00000000-0000-4000-8000-000000000000";

describe("pausing over the APIs", () => {
  it("GraphQL pauses and resumes; the held execution reads paused until then", async () => {
    const workflow = await createWorkflow(engine.services, {
      name: "paused over GraphQL",
      graph: linked(node("start", "start"), node("wait", "delay", { ms: 400 }), node("end", "end")),
    });
    const started = await startExecution(engine.services, workflow.id, {});
    await waitForStep(engine.db, started.id, "wait", "WAITING");

    const paused = await gql(yoga, `mutation ($id: ID!) { pauseWorkflow(id: $id) { id paused pausedAt } }`, {
      id: workflow.id,
    });
    expect(paused.errors).toBeUndefined();
    expect(paused.data?.pauseWorkflow).toMatchObject({ id: workflow.id, paused: true });
    expect(Date.parse(paused.data?.pauseWorkflow.pausedAt)).not.toBeNaN();
    await waitForStep(engine.db, started.id, "end", "PENDING");

    const read = await gql(yoga, `query ($id: ID!) { execution(id: $id) { status paused workflow { paused } } }`, {
      id: started.id,
    });
    expect(read.data?.execution).toEqual({ status: "RUNNING", paused: true, workflow: { paused: true } });

    const resumed = await gql(yoga, `mutation ($id: ID!) { resumeWorkflow(id: $id) { paused pausedAt } }`, {
      id: workflow.id,
    });
    expect(resumed.data?.resumeWorkflow).toEqual({ paused: false, pausedAt: null });
    await waitForExecution(engine.db, started.id, ["SUCCEEDED"]);
    const after = await gql(yoga, `query ($id: ID!) { execution(id: $id) { status paused } }`, { id: started.id });
    expect(after.data?.execution).toEqual({ status: "SUCCEEDED", paused: false });

    const missing = await gql(yoga, `mutation ($id: ID!) { pauseWorkflow(id: $id) { id } }`, { id: MISSING });
    expect(missing.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  it("REST pauses and resumes with POST, showing paused and paused_at; executions show paused", async () => {
    const workflow = await createWorkflow(engine.services, {
      name: "paused over REST",
      graph: linked(node("start", "start"), node("wait", "delay", { ms: 400 }), node("end", "end")),
    });
    const started = await startExecution(engine.services, workflow.id, {});
    await waitForStep(engine.db, started.id, "wait", "WAITING");

    const paused = await rest(app, "POST", `/workflows/${workflow.id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ id: workflow.id, paused: true, is_active: true });
    expect(Date.parse(paused.body.paused_at)).not.toBeNaN();
    expect((await rest(app, "GET", `/workflows/${workflow.id}`)).body).toMatchObject({ paused: true });
    await waitForStep(engine.db, started.id, "end", "PENDING");
    expect((await rest(app, "GET", `/executions/${started.id}`)).body).toMatchObject({
      status: "RUNNING",
      paused: true,
    });
    const listed = await rest(app, "GET", `/executions?workflow_id=${workflow.id}`);
    expect(listed.body.map((e: { paused: boolean }) => e.paused)).toEqual([true]);

    const resumed = await rest(app, "POST", `/workflows/${workflow.id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ paused: false, paused_at: null });
    await waitForExecution(engine.db, started.id, ["SUCCEEDED"]);
    expect((await rest(app, "GET", `/executions/${started.id}`)).body).toMatchObject({ paused: false });

    const missing = await rest(app, "POST", `/workflows/${MISSING}/pause`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ detail: "Workflow not found" }); // as the original engine says it
  });
});
