/**
 * A rule that would take the server down (the attacker's trigger ran it out of
 * memory in 16.5 s, and did again on every matching event) now fails alone:
 * the event still starts the workflows whose triggers matched, the failure is
 * logged and counted, a branch condition that runs out fails its step without
 * retries, and a rule spelling out a huge list is refused at save.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { DOUBLING_TRIGGER } from "../fixtures/hostile-rules.js";
import { waitForExecution } from "../support/engine.js";
import { useFlowHarness } from "../support/flow-harness.js";
import { rest } from "../support/rest.js";

const harness = useFlowHarness();
let app: ReturnType<typeof createApp>["app"];
let dispose: () => Promise<void> | void;

beforeAll(() => {
  const built = createApp(harness.engine);
  app = built.app;
  dispose = () => built.yoga.dispose();
});
afterAll(() => dispose?.());

const notifyGraph = (message: string) => ({
  nodes: [
    { id: "start", type: "start", data: {} },
    { id: "n1", type: "send_notification", data: { toRole: "ops", message } },
  ],
  edges: [{ id: "e1", source: "start", target: "n1" }],
});

async function metric(name: string): Promise<number> {
  const text = await (await app.request("/metrics")).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(" ")[1]) : 0;
}

describe("rules within a budget, end to end", () => {
  it("an event matching the list-doubling trigger starts the other workflows; the server keeps serving", async () => {
    const bomb = await rest(app, "POST", "/workflows", {
      name: "Doubling",
      trigger: DOUBLING_TRIGGER,
      graph: notifyGraph("never"),
    });
    expect(bomb.status).toBe(200);
    const plain = await rest(app, "POST", "/workflows", {
      name: "Plain",
      trigger: { "==": [{ var: "kind" }, "k"] },
      graph: notifyGraph("plain ran"),
    });
    expect(plain.status).toBe(200);

    for (const attempt of [1, 2]) {
      const sent = await rest(app, "POST", "/events", { kind: "k" });
      expect(sent.status).toBe(200);
      expect(sent.body.matched).toBe(1);
      const execution = await waitForExecution(harness.engine.db, sent.body.execution_ids[0]);
      expect(execution).toMatchObject({ workflowId: plain.body.id, status: "SUCCEEDED" });
      expect(await metric('workflow_trigger_failures_total{reason="budget"}')).toBe(attempt);
    }
    expect((await app.request("/healthz")).status).toBe(200);
    const simulated = await rest(app, "POST", "/graphql", {
      query: `query { simulateEvent(payload: {kind: "k"}) { id } }`,
    });
    expect(simulated.body).toEqual({ data: { simulateEvent: [{ id: plain.body.id }] } });
  });

  it("a branch whose condition runs out of budget fails its step at once, naming the case", async () => {
    const created = await rest(app, "POST", "/workflows", {
      name: "Heavy branch",
      graph: {
        nodes: [
          { id: "start", type: "start", data: {} },
          {
            id: "decide",
            type: "branch",
            data: {
              cases: [
                { label: "heavy", condition: DOUBLING_TRIGGER, next: "a" },
                { else: true, next: "b" },
              ],
            },
          },
          { id: "a", type: "end", data: {} },
          { id: "b", type: "end", data: {} },
        ],
        edges: [
          { id: "e1", source: "start", target: "decide" },
          { id: "e2", source: "decide", target: "a" },
          { id: "e3", source: "decide", target: "b" },
        ],
      },
    });
    expect(created.status).toBe(200);
    const started = await rest(app, "POST", "/executions", { workflow_id: created.body.id, payload: { kind: "k" } });
    const execution = await waitForExecution(harness.engine.db, started.body.id);
    expect(execution.status).toBe("FAILED");
    const decide = execution.steps.find((s) => s.nodeId === "decide");
    expect(decide).toMatchObject({ status: "FAILED", attempt: 1 });
    expect(decide?.error).toMatch(/^branch condition cases\[0\]\.condition failed: the rule needs more than 250,000/);
  });

  it("refuses to save a rule that spells out a list of more than 1,000 items", async () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => i);
    const saved = await rest(app, "POST", "/workflows", {
      name: "Huge list",
      trigger: { some: [{ var: "items" }, { in: [{ var: "" }, ids] }] },
    });
    expect(saved.status).toBe(422);
    expect(JSON.stringify(saved.body.detail)).toContain("a list in a rule may hold at most 1000 items");
    const listed = await rest(app, "GET", "/workflows");
    expect(listed.body.map((w: { name: string }) => w.name)).not.toContain("Huge list");
  });
});
