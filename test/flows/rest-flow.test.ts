/**
 * The original README's flow over REST, on the real engine: create "Lead
 * routing" (short delay), send the README's event, then follow the execution
 * through GET /executions/{id} and /steps until it has SUCCEEDED.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, type TestEngine, waitUntil } from "../support/engine.js";
import { loadFlow } from "../support/flows.js";
import { TestHttpServer } from "../support/http-server.js";
import { rest } from "../support/rest.js";

const database = useTestDatabase();
let engine: TestEngine;
let followUp: TestHttpServer;
let built: ReturnType<typeof createApp>;

beforeAll(async () => {
  followUp = await new TestHttpServer().start();
  engine = await startTestEngine(database.url);
  built = createApp(engine);
});

afterAll(async () => {
  await built?.yoga.dispose();
  await engine?.stop();
  await followUp?.stop();
});

describe("the original README, over REST", () => {
  it("creates Lead routing, matches the README's event, and runs it to SUCCEEDED through gift_start", async () => {
    const flow = loadFlow("lead-routing.json", followUp.url(""));
    const created = await rest(built.app, "POST", "/workflows", {
      name: flow.name,
      trigger: flow.trigger,
      graph: flow.graph,
    });
    expect(created.status).toBe(200);

    const sent = await rest(built.app, "POST", "/events", { lead: { source: "LinkedIn", score: 90, title: "CEO" } });
    expect(sent.body).toMatchObject({ matched: 1 });
    const id = sent.body.execution_ids[0];

    let execution = (await rest(built.app, "GET", `/executions/${id}`)).body;
    await waitUntil(async () => {
      execution = (await rest(built.app, "GET", `/executions/${id}`)).body;
      return ["SUCCEEDED", "FAILED", "CANCELLED"].includes(execution.status);
    }, "the execution to finish");
    expect(execution).toMatchObject({
      id,
      workflow_id: created.body.id,
      status: "SUCCEEDED",
      context: { lead: { title: "CEO" } },
    });

    const steps = (await rest(built.app, "GET", `/executions/${id}/steps`)).body as Record<string, unknown>[];
    expect(steps.map((s) => [s.node_id, s.status])).toEqual([
      ["start", "SUCCEEDED"],
      ["n1", "SUCCEEDED"],
      ["n2", "SUCCEEDED"],
      ["n3", "SUCCEEDED"],
      ["br1", "SUCCEEDED"],
      ["gift_start", "SUCCEEDED"],
      ["drip_start", "SKIPPED"],
    ]);
    for (const step of steps) {
      expect(Object.keys(step)).toEqual(
        expect.arrayContaining(["id", "execution_id", "node_id", "type", "status", "output", "error"]),
      );
    }
    expect(steps.find((s) => s.node_id === "br1")?.output).toMatchObject({ matched: "CEO", next: "gift_start" });

    const listed = (await rest(built.app, "GET", `/executions?workflow_id=${created.body.id}`)).body;
    expect(listed.map((e: { id: string }) => e.id)).toEqual([id]);
  });
});
