/**
 * Pausing as clients see it: pauseWorkflow / resumeWorkflow over GraphQL (Workflow.paused and
 * pausedAt, Execution.paused on a held execution) and POST /workflows/{id}/pause|resume over REST
 * (paused, paused_at; an execution's paused), and an unknown workflow named in both.
 */
import { describe, expect, it } from "vitest";
import { startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { useAppEngine } from "../support/app-engine.js";
import { waitForExecution, waitForStep } from "../support/engine.js";
import { gql } from "../support/graphql.js";
import { linked, node } from "../support/graphs.js";
import { rest } from "../support/rest.js";

const served = useAppEngine();

const MISSING = "00000000-0000-4000-8000-000000000000";

describe("pausing over the APIs", () => {
  it("GraphQL pauses and resumes; the held execution reads paused until then", async () => {
    const workflow = await createWorkflow(served.engine.services, {
      name: "paused over GraphQL",
      graph: linked(node("start", "start"), node("wait", "delay", { ms: 400 }), node("end", "end")),
    });
    const started = await startExecution(served.engine.services, workflow.id, {});
    await waitForStep(served.engine.db, started.id, "wait", "WAITING");

    const paused = await gql(served.yoga, `mutation ($id: ID!) { pauseWorkflow(id: $id) { id paused pausedAt } }`, {
      id: workflow.id,
    });
    expect(paused.errors).toBeUndefined();
    expect(paused.data?.pauseWorkflow).toMatchObject({ id: workflow.id, paused: true });
    expect(Date.parse(paused.data?.pauseWorkflow.pausedAt)).not.toBeNaN();
    await waitForStep(served.engine.db, started.id, "end", "PENDING");

    const read = await gql(
      served.yoga,
      `query ($id: ID!) { execution(id: $id) { status paused workflow { paused } } }`,
      {
        id: started.id,
      },
    );
    expect(read.data?.execution).toEqual({ status: "RUNNING", paused: true, workflow: { paused: true } });

    const resumed = await gql(served.yoga, `mutation ($id: ID!) { resumeWorkflow(id: $id) { paused pausedAt } }`, {
      id: workflow.id,
    });
    expect(resumed.data?.resumeWorkflow).toEqual({ paused: false, pausedAt: null });
    await waitForExecution(served.engine.db, started.id, ["SUCCEEDED"]);
    const after = await gql(served.yoga, `query ($id: ID!) { execution(id: $id) { status paused } }`, {
      id: started.id,
    });
    expect(after.data?.execution).toEqual({ status: "SUCCEEDED", paused: false });

    const missing = await gql(served.yoga, `mutation ($id: ID!) { pauseWorkflow(id: $id) { id } }`, { id: MISSING });
    expect(missing.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  it("REST pauses and resumes with POST, showing paused and paused_at; executions show paused", async () => {
    const workflow = await createWorkflow(served.engine.services, {
      name: "paused over REST",
      graph: linked(node("start", "start"), node("wait", "delay", { ms: 400 }), node("end", "end")),
    });
    const started = await startExecution(served.engine.services, workflow.id, {});
    await waitForStep(served.engine.db, started.id, "wait", "WAITING");

    const paused = await rest(served.app, "POST", `/workflows/${workflow.id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ id: workflow.id, paused: true, is_active: true });
    expect(Date.parse(paused.body.paused_at)).not.toBeNaN();
    expect((await rest(served.app, "GET", `/workflows/${workflow.id}`)).body).toMatchObject({ paused: true });
    await waitForStep(served.engine.db, started.id, "end", "PENDING");
    expect((await rest(served.app, "GET", `/executions/${started.id}`)).body).toMatchObject({
      status: "RUNNING",
      paused: true,
    });
    const listed = await rest(served.app, "GET", `/executions?workflow_id=${workflow.id}`);
    expect(listed.body.map((e: { paused: boolean }) => e.paused)).toEqual([true]);

    const resumed = await rest(served.app, "POST", `/workflows/${workflow.id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ paused: false, paused_at: null });
    await waitForExecution(served.engine.db, started.id, ["SUCCEEDED"]);
    expect((await rest(served.app, "GET", `/executions/${started.id}`)).body).toMatchObject({ paused: false });

    const missing = await rest(served.app, "POST", `/workflows/${MISSING}/pause`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ detail: "Workflow not found" }); // as the original engine says it
  });
});
