import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { ingestEvent } from "../../src/services/events.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { waitForExecution } from "../support/engine.js";
import { useFlowHarness } from "../support/flow-harness.js";
import { loadFlow } from "../support/flows.js";

const harness = useFlowHarness();

function metric(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(" ")[1]) : Number.NaN;
}

describe("/metrics", () => {
  it("counts events, executions by status, step durations by type, and reports queue depth", async () => {
    const { app, yoga } = createApp(harness.engine);
    try {
      await createWorkflow(harness.engine.services, loadFlow("lead-routing.json", harness.server.url("")));
      const { executions } = await ingestEvent(harness.engine.services, {
        lead: { source: "LinkedIn", score: 90, title: "CEO" },
      });
      await waitForExecution(harness.engine.db, executions[0]?.id as string);

      const response = await app.request("/metrics");
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/text\/plain/);
      const text = await response.text();
      expect(metric(text, "workflow_events_received_total")).toBe(1);
      expect(metric(text, 'workflow_executions_total{status="PENDING"}')).toBe(1);
      expect(metric(text, 'workflow_executions_total{status="SUCCEEDED"}')).toBe(1);
      expect(metric(text, 'workflow_step_duration_seconds_count{type="send_notification",outcome="done"}')).toBe(2);
      expect(metric(text, 'workflow_step_duration_seconds_count{type="delay",outcome="wait"}')).toBe(1);
      expect(metric(text, 'workflow_step_duration_seconds_count{type="http_call",outcome="done"}')).toBe(1);
      expect(metric(text, "workflow_queue_depth")).toBeGreaterThanOrEqual(0);
      expect(metric(text, "workflow_graphql_subscriptions_open")).toBe(0);
      expect(text).toContain("workflow_process_resident_memory_bytes");
    } finally {
      await yoga.dispose();
    }
  });
});
