/**
 * How the console holds up (issue 20, point 6), in Chromium against a real
 * server: an axe-core scan of every page finds no serious or critical
 * violation; a phone-sized window scrolls no page sideways. (Big graphs and
 * long lists: scale.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { CHROMIUM_AVAILABLE } from "../support/browser.js";
import { seriousViolations, useConsole } from "./console-support.js";

describe.runIf(CHROMIUM_AVAILABLE)("the web console's quality", () => {
  const ui = useConsole();
  let workflowId = "";
  let executionId = "";
  let waitingId = "";

  /** Executions showing most statuses: SUCCEEDED and SKIPPED steps, a RUNNING execution with a WAITING step. */
  const seed = async () => {
    if (executionId) return;
    const create = async (name: string, nodes: unknown[], edges: unknown[], trigger: unknown = {}) => {
      const created = await ui.graphql<{ createWorkflow: { id: string } }>(
        "mutation($input: WorkflowInput!) { createWorkflow(input: $input) { id } }",
        { input: { name, trigger, graph: { nodes, edges } } },
      );
      return created.createWorkflow.id;
    };
    workflowId = await create(
      "Quality",
      [
        { id: "start", type: "start", data: {} },
        {
          id: "pick",
          type: "branch",
          data: {
            cases: [
              { condition: { "==": [{ var: "q" }, 1] }, next: "n1" },
              { else: true, next: "never" },
            ],
          },
        },
        { id: "n1", type: "send_notification", data: { message: "hi" } },
        { id: "never", type: "end", data: {} },
      ],
      [{ id: "e1", source: "start", target: "pick" }],
      { "==": [{ var: "q" }, 1] },
    );
    const sent = await ui.graphql<{ sendEvent: { executions: { id: string }[] } }>(
      "mutation { sendEvent(payload: {q: 1}) { executions { id } } }",
    );
    executionId = sent.sendEvent.executions[0]?.id ?? "";
    const waiting = await create(
      "Quality waiting",
      [
        { id: "start", type: "start", data: {} },
        { id: "later", type: "delay", data: { ms: 600_000 } },
      ],
      [{ id: "e1", source: "start", target: "later" }],
    );
    const started = await ui.graphql<{ startExecution: { id: string } }>(
      "mutation($id: ID!) { startExecution(workflowId: $id) { id } }",
      { id: waiting },
    );
    waitingId = started.startExecution.id;
  };

  const pages = (): [string, string][] => [
    ["workflows", "Workflows"],
    [`workflows/${workflowId}/edit`, "Quality"],
    ["executions", "Executions"],
    [`executions/${executionId}`, "Quality"],
    [`executions/${waitingId}`, "Quality waiting"],
    ["events", "Send an event"],
    ["notifications", "Notifications"],
  ];

  it("has no serious accessibility violation on any page (axe-core)", async () => {
    await seed();
    const { page } = ui;
    const found: string[] = [];
    for (const [route, heading] of pages()) {
      await page.goto(`${ui.origin}/#/${route}`);
      await page.getByRole("heading", { name: heading }).first().waitFor();
      await page.waitForTimeout(300);
      found.push(...(await seriousViolations(page)).map((v) => `#/${route}: ${v}`));
    }
    expect(found).toEqual([]);
  }, 90_000);

  it("fits a phone-sized window: no page scrolls sideways", async () => {
    await seed();
    const { page } = ui;
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      const wide: string[] = [];
      for (const [route, heading] of pages()) {
        await page.goto(`${ui.origin}/#/${route}`);
        await page.getByRole("heading", { name: heading }).first().waitFor();
        await page.waitForTimeout(200);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        if (width > 391) wide.push(`#/${route}: ${width}px`);
        if (route.startsWith("executions/")) await ui.screenshot("phone-execution");
        if (route === "executions") await ui.screenshot("phone-executions");
      }
      expect(wide).toEqual([]);
    } finally {
      await page.setViewportSize({ width: 1280, height: 720 });
    }
  }, 90_000);
});
