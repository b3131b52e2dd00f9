import { beforeAll, describe, expect, it } from "vitest";
import { ingestEvent } from "../../src/services/events.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { stepsByNode, waitForExecution } from "../support/engine.js";
import { useFlowHarness } from "../support/flow-harness.js";
import { loadFlow } from "../support/flows.js";

const harness = useFlowHarness();

beforeAll(async () => {
  await createWorkflow(harness.engine.services, loadFlow("lead-routing.json", harness.server.url("")));
});

async function runLead(title: string) {
  const { executions } = await ingestEvent(harness.engine.services, { lead: { source: "LinkedIn", score: 90, title } });
  expect(executions).toHaveLength(1);
  const execution = await waitForExecution(harness.engine.db, (executions[0] as { id: string }).id);
  return { execution, steps: stepsByNode(execution.steps) };
}

describe("Lead routing, end to end on the real engine", () => {
  it("routes a CEO through the gifting path: notifies, waits, calls the follow-up, branches", async () => {
    const { execution, steps } = await runLead("CEO");
    expect(execution.status).toBe("SUCCEEDED");
    expect(execution.finishedAt).not.toBeNull();
    expect(Object.fromEntries(Object.entries(steps).map(([id, s]) => [id, s.status]))).toEqual({
      start: "SUCCEEDED",
      n1: "SUCCEEDED",
      n2: "SUCCEEDED",
      n3: "SUCCEEDED",
      br1: "SUCCEEDED",
      gift_start: "SUCCEEDED",
      drip_start: "SKIPPED",
    });
    expect(steps.br1?.output).toEqual({ matched: "CEO", next: "gift_start", followed: ["gift_start"] });
    expect(steps.n1?.output).toEqual({ notified: "AE", message: "New hot lead" });
    expect(steps.gift_start?.output).toEqual({ notified: "AE", message: "Trigger gifting sequence" });

    const calls = harness.server.requests.filter((r) => r.headers["idempotency-key"] === `${execution.id}:n3`);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.method).toBe("POST");
    expect(calls[0]?.body).toEqual({ templateId: "followup_1", lead: "CEO" });
    expect(steps.n3?.output).toMatchObject({ status_code: 200, body: { ok: true } });
    expect(steps.n3?.input).toMatchObject({ body: { templateId: "followup_1", lead: "CEO" } });

    const notifications = await harness.engine.db.notification.findMany({
      where: { executionId: execution.id },
      orderBy: { createdAt: "asc" },
    });
    expect(notifications.map((n) => n.message)).toEqual(["New hot lead", "Trigger gifting sequence"]);
  });

  it("routes any other title through the drip path", async () => {
    const { execution, steps } = await runLead("Engineer");
    expect(execution.status).toBe("SUCCEEDED");
    expect(steps.gift_start?.status).toBe("SKIPPED");
    expect(steps.drip_start?.status).toBe("SUCCEEDED");
    expect(steps.br1?.output).toMatchObject({ matched: "else", next: "drip_start" });
  });

  it("holds the delay step WAITING with resumeAt stored, then SUCCEEDED no earlier than that", async () => {
    const { steps } = await runLead("CFO");
    const delay = steps.n2;
    expect(delay?.resumeAt).toBeInstanceOf(Date);
    expect(delay?.finishedAt?.getTime()).toBeGreaterThanOrEqual(delay?.resumeAt?.getTime() ?? Infinity);
    expect(delay?.resumeAt?.getTime()).toBeGreaterThanOrEqual((delay?.startedAt?.getTime() ?? 0) + 300);
  });

  it("starts nothing for events the trigger rejects", async () => {
    const result = await ingestEvent(harness.engine.services, { lead: { source: "Email", score: 99, title: "CEO" } });
    expect(result.executions).toEqual([]);
    expect(await harness.engine.db.event.count({ where: { id: result.event.id } })).toBe(1);
  });
});
