/**
 * The web console in a real browser (Debian's Chromium, playwright-core)
 * against a real server in production mode (PostgreSQL, Redis, a worker):
 * a workflow built by clicking in the editor, a validation problem on the
 * node it names, an event sent and its nodes turning to succeeded live, the
 * page resuming by seq across a server restart, cancel and retry.
 * Screenshots of each page land in test-results/console/.
 *
 * Needs Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH): CI installs
 * it and fails without it; elsewhere the tests are skipped with a line saying why.
 */
import { describe, expect, it } from "vitest";
import { CHROMIUM_AVAILABLE, CHROMIUM_PATH } from "../support/browser.js";
import { SERVICES_REQUIRED } from "../support/env.js";
import { TestHttpServer } from "../support/http-server.js";
import {
  drawEdge,
  expectNodeStatus,
  POLL,
  recordExecutionFrames,
  recordNodeStatuses,
  useConsole,
} from "./console-support.js";

const TEST_TIMEOUT = 90_000;

describe("the web console", () => {
  if (!CHROMIUM_AVAILABLE) {
    if (SERVICES_REQUIRED) {
      it("has Chromium to run in", () => {
        expect.fail(`no Chromium at ${CHROMIUM_PATH}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
      });
    } else {
      console.log(`Skipping the console's browser tests: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium).`);
      it.skip("builds, runs and watches workflows (needs Chromium)", () => {});
    }
    return;
  }

  const ui = useConsole();

  const createWorkflow = async (name: string, graph: unknown, trigger: unknown = {}) => {
    const data = await ui.graphql<{ createWorkflow: { id: string } }>(
      "mutation($input: WorkflowInput!) { createWorkflow(input: $input) { id } }",
      { input: { name, graph, trigger } },
    );
    return data.createWorkflow.id;
  };
  const startExecution = async (workflowId: string) => {
    const data = await ui.graphql<{ startExecution: { id: string } }>(
      "mutation($id: ID!) { startExecution(workflowId: $id, payload: {}) { id } }",
      { id: workflowId },
    );
    return data.startExecution.id;
  };

  it(
    "builds a workflow with a delay and a branch by clicking, shows a problem on its node, then runs it live",
    async () => {
      const { page } = ui;
      await page.goto(`${ui.origin}/#/workflows/new`);
      await page.getByLabel("Name", { exact: true }).fill("E2E routing");
      // The trigger is checked as you type, and a sample rule replaces it.
      const trigger = page.getByLabel(/^Trigger/);
      await trigger.fill('{"==": [{"var": "kind"},\n "e2e"');
      await expect
        .poll(() => page.locator(".editor-meta .field-problem").first().textContent(), POLL)
        .toContain("Not valid JSON at line 2");
      await page
        .getByRole("group", { name: "Start the trigger from a sample" })
        .getByRole("button", { name: "all of" })
        .click();
      await expect.poll(() => trigger.inputValue(), POLL).toContain('"and"');
      await trigger.fill('{"==": [{"var": "kind"}, "e2e"]}');
      // Run settings: JSON in the schema's shape, saved with the workflow.
      await page.getByText(/^Run settings/).click();
      await page.getByLabel(/^Timeout \(ms\)/).fill("600000");
      await page.getByLabel(/^Concurrency/).fill('[{"limit": 5}');
      await expect
        .poll(() => page.locator('[data-field="concurrency"] .field-problem').textContent(), POLL)
        .toContain("Not valid JSON");
      await page.getByLabel(/^Concurrency/).fill('[{"limit": 5}]');

      for (const type of ["delay", "branch", "send_notification", "end"]) {
        await page.getByRole("button", { name: `+ ${type}`, exact: true }).click();
      }
      await expect.poll(() => page.locator(".react-flow__node").count(), POLL).toBe(5);
      await drawEdge(page, "start", "delay_1");
      await drawEdge(page, "delay_1", "branch_1");
      await expect.poll(() => page.locator(".react-flow__edge").count(), POLL).toBe(2);

      const settings = page.getByRole("complementary", { name: "Node settings" });
      // Renamed in its panel: the node takes the new id.
      await page.locator('[data-testid="node-end_1"]').click();
      await settings.getByLabel("Node id").fill("finish");
      await settings.getByLabel("Node id").press("Enter");
      await page.locator('[data-testid="node-finish"]').waitFor();
      // A bad value: the problem appears on the delay node and beside its field.
      await page.locator('[data-testid="node-delay_1"]').click();
      await settings.getByLabel("Ms").fill("-5");
      const delayNode = page.locator('[data-testid="node-delay_1"]');
      await expect.poll(() => delayNode.getAttribute("class"), POLL).toContain("has-problems");
      await expect.poll(() => delayNode.textContent(), POLL).toContain("ms:");
      await expect.poll(() => settings.locator('[data-field="ms"] .field-problem').count(), POLL).toBe(1);
      await expect
        .poll(() => page.locator('[data-testid="node-branch_1"]').getAttribute("class"), POLL)
        .not.toContain("has-problems");
      await ui.screenshot("editor-problem");
      await settings.getByLabel("Ms").fill("1500");

      await page.locator('[data-testid="node-branch_1"]').click();
      await settings.getByLabel(/^Cases/).fill(
        JSON.stringify([
          { label: "big", condition: { ">": [{ var: "n" }, 5] }, next: "send_notification_1" },
          { label: "small", else: true, next: "finish" },
        ]),
      );
      await page.locator('[data-testid="node-send_notification_1"]').click();
      await settings.getByLabel(/^Message/).fill("Big one: {{payload.n}}");
      await expect.poll(() => page.getByTestId("validity").textContent(), POLL).toBe("valid");
      await ui.screenshot("editor");
      await page.getByRole("button", { name: "Create" }).click();
      await expect.poll(() => page.locator(".version").textContent(), POLL).toBe("version 1");
      // The dry run (explainEvent) says the saved workflow would start.
      await page.getByLabel("Event payload (JSON)").fill('{"kind": "e2e", "n": 10}');
      await page.getByRole("button", { name: "Test event" }).click();
      await expect
        .poll(() => page.getByTestId("test-event-result").textContent(), POLL)
        .toContain("Starts this workflow");

      // Saved as drawn.
      const saved = await ui.graphql<{ workflows: { edges: { node: { id: string; graph: { edges: unknown[] } } }[] } }>(
        "{ workflows(first: 10) { edges { node { id name graph } } } }",
      );
      const workflow = saved.workflows.edges
        .map((e) => e.node)
        .find((w) => (w as { name?: string }).name === "E2E routing");
      expect(workflow?.graph.edges).toHaveLength(2);
      const runSettings = await ui.graphql<{ workflow: { timeoutMs: number; concurrency: { limit: number }[] } }>(
        "query($id: ID!) { workflow(id: $id) { timeoutMs concurrency { limit } } }",
        { id: workflow?.id },
      );
      expect(runSettings.workflow).toEqual({ timeoutMs: 600000, concurrency: [{ limit: 5 }] });

      // Send an event from the console, follow the execution it started.
      await page.getByRole("link", { name: "Send event" }).click();
      await page.getByLabel("Payload (JSON)").fill('{"kind": "e2e", "n": 10}');
      await page.getByRole("button", { name: "Send event" }).click();
      const started = page.getByTestId("send-result").getByRole("link", { name: "E2E routing" });
      await ui.screenshot("send-event");
      await page.evaluate(() => {
        (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
      });
      await started.click();
      await page.locator('[data-testid="node-delay_1"]').waitFor();
      const statuses = await recordNodeStatuses(page);

      await expectNodeStatus(page, "send_notification_1", "SUCCEEDED");
      await expect.poll(() => page.getByTestId("execution-status").textContent(), POLL).toBe("SUCCEEDED");
      const seen = await statuses();
      // Watched, not reloaded: the delay was seen waiting (or running) before it succeeded.
      expect(seen.delay_1?.at(-1)).toBe("SUCCEEDED");
      expect(seen.delay_1?.some((s) => s === "WAITING" || s === "RUNNING")).toBe(true);
      expect(seen.send_notification_1?.at(-1)).toBe("SUCCEEDED");
      for (const node of ["start", "branch_1"]) expect(seen[node]?.at(-1)).toBe("SUCCEEDED");
      expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
      await page.locator('[data-testid="node-send_notification_1"]').click();
      await expect
        .poll(() => page.getByTestId("step-detail-send_notification_1").textContent(), POLL)
        .toContain("Big one: 10");
      await ui.screenshot("execution");

      // The notification reached the live feed.
      await page.getByRole("link", { name: /^Notifications/ }).click();
      await expect.poll(() => page.locator(".feed-item").first().textContent(), POLL).toContain("Big one: 10");
      await ui.screenshot("notifications");
    },
    TEST_TIMEOUT,
  );

  it(
    "shows a new execution in the live list, then resumes its page after a restart of the server and its worker with no step missing",
    async () => {
      const { page } = ui;
      const workflowId = await createWorkflow("E2E restart", {
        nodes: [
          { id: "start", type: "start", data: {} },
          { id: "wait", type: "delay", data: { ms: 3000 } },
          { id: "notify", type: "send_notification", data: { message: "after the restart" } },
          { id: "done", type: "end", data: {} },
        ],
        edges: [
          { id: "e1", source: "start", target: "wait" },
          { id: "e2", source: "wait", target: "notify" },
          { id: "e3", source: "notify", target: "done" },
        ],
      });
      // A new document (so a new socket), every frame of it recorded.
      const frames = recordExecutionFrames(page);
      await page.goto("about:blank");
      await page.goto(`${ui.origin}/#/executions?workflow=${workflowId}`);
      await page.getByText("No executions match these filters").waitFor();
      await expect.poll(() => page.locator(".live-dot").textContent(), POLL).toBe("live");
      const executionId = await startExecution(workflowId);
      const row = page.getByTestId("execution-row").first();
      await row.waitFor();
      await ui.screenshot("executions");
      await row.getByRole("link").click();
      await expectNodeStatus(page, "wait", "WAITING");
      await page.locator('[data-testid="node-wait"]').click();
      await ui.screenshot("execution-live");

      // The engine (HTTP server and worker) stops while the delay waits and starts again after it
      // is due: the new worker runs the rest of the execution while the page reconnects.
      const restarted = ui.restartEngine(4000);
      await expect.poll(() => page.getByTestId("stream-state").textContent(), POLL).toBe("reconnecting");
      const seenBefore = frames.events.filter((e) => e.kind === "seq").map((e) => e.seq);
      await restarted;
      await expect
        .poll(() => page.getByTestId("stream-state").textContent(), { timeout: 30_000 })
        .toMatch(/live|complete/);
      await expect
        .poll(() => page.getByTestId("execution-status").textContent(), { timeout: 30_000 })
        .toBe("SUCCEEDED");
      for (const node of ["start", "wait", "notify", "done"]) await expectNodeStatus(page, node, "SUCCEEDED");

      const { execution } = await ui.graphql<{ execution: { steps: { nodeId: string; status: string }[] } }>(
        "query($id: ID!) { execution(id: $id) { steps { nodeId status } } }",
        { id: executionId },
      );
      const rows = await page
        .locator('[data-testid^="timeline-"]')
        .evaluateAll((elements) =>
          elements.map((e) => [e.getAttribute("data-testid")?.replace("timeline-", ""), e.getAttribute("data-status")]),
        );
      expect(rows).toEqual(execution.steps.map((step) => [step.nodeId, step.status]));
      await ui.screenshot("execution-after-restart");

      // Over the wire: a snapshot, then every seq once and in order up to the last, across the
      // restart; the page subscribed again from the last seq it had seen, and what happened while
      // it was away came in then.
      const { execution: final } = await ui.graphql<{ execution: { seq: number } }>(
        "query($id: ID!) { execution(id: $id) { seq } }",
        { id: executionId },
      );
      const subscribes = frames.events.flatMap((e) => (e.kind === "subscribe" ? [e.afterSeq] : []));
      const seqs = frames.events.flatMap((e) => (e.kind === "seq" ? [e.seq] : []));
      const lastBefore = seenBefore.at(-1) ?? -1;
      expect(subscribes[0]).toBeNull();
      expect(subscribes.slice(1)).toContain(lastBefore);
      const first = seqs[0] ?? 0;
      expect(seqs).toEqual(Array.from({ length: final.seq - first + 1 }, (_, i) => first + i));
      expect(final.seq).toBeGreaterThan(lastBefore + 1);
      console.log(
        `restart: the page had seen seqs ${seenBefore[0]}..${lastBefore}, subscribed again with afterSeq ${subscribes.slice(1).join(", ")}, then got ${lastBefore + 1}..${final.seq} (${final.seq - lastBefore} changes, those made while it was away replayed)`,
      );
    },
    TEST_TIMEOUT,
  );

  it(
    "cancels a waiting execution and retries a failed one",
    async () => {
      const { page } = ui;
      const waiting = await createWorkflow("E2E cancel", {
        nodes: [
          { id: "start", type: "start", data: {} },
          { id: "long", type: "delay", data: { ms: 600_000 } },
        ],
        edges: [{ id: "e1", source: "start", target: "long" }],
      });
      await page.goto(`${ui.origin}/#/executions/${await startExecution(waiting)}`);
      await expectNodeStatus(page, "long", "WAITING");
      await page.getByRole("button", { name: "Cancel" }).click();
      await expect.poll(() => page.getByTestId("execution-status").textContent(), POLL).toBe("CANCELLED");
      await expectNodeStatus(page, "long", "CANCELLED");
      await ui.screenshot("execution-cancelled");

      const remote = await new TestHttpServer().start();
      try {
        remote.script("/flaky", { status: 400, body: { error: "not yet" } }, { status: 200, body: { ok: true } });
        const flaky = await createWorkflow("E2E retry", {
          nodes: [
            { id: "start", type: "start", data: {} },
            {
              id: "call",
              type: "http_call",
              data: { method: "GET", url: remote.url("/flaky"), retry: { attempts: 1 } },
            },
            { id: "done", type: "end", data: {} },
          ],
          edges: [
            { id: "e1", source: "start", target: "call" },
            { id: "e2", source: "call", target: "done" },
          ],
        });
        await page.goto(`${ui.origin}/#/executions/${await startExecution(flaky)}`);
        await expect.poll(() => page.getByTestId("execution-status").textContent(), POLL).toBe("FAILED");
        await expectNodeStatus(page, "call", "FAILED");
        await ui.screenshot("execution-failed");
        await page.getByRole("button", { name: "Retry" }).click();
        await expect.poll(() => page.getByTestId("execution-status").textContent(), POLL).toBe("SUCCEEDED");
        await expectNodeStatus(page, "call", "SUCCEEDED");
        await expectNodeStatus(page, "done", "SUCCEEDED");
        expect(remote.requests.filter((r) => r.path === "/flaky")).toHaveLength(2);
      } finally {
        await remote.stop();
      }
    },
    TEST_TIMEOUT,
  );
});
