/**
 * How the console holds up (issue 20, point 6), in Chromium against a real
 * server: an axe-core scan of every page finds no serious or critical
 * violation; a phone-sized window scrolls no page sideways; an execution of a
 * 300-node workflow (saved without positions, so laid out by dagre) renders
 * quickly and follows its 300 steps live. Times are printed and bounded
 * generously: CI shares two cores between the whole suite and the browser.
 */
import { createRequire } from "node:module";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { CHROMIUM_AVAILABLE } from "../support/browser.js";
import { useConsole } from "./console-support.js";

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve("axe-core/axe.min.js");

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE_PATH });
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> } }
    ).axe;
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return result.violations;
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(", ")}`);
}

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

  it("renders a 300-node execution quickly and follows its steps live", async () => {
    const { page } = ui;
    const nodes = [
      { id: "start", type: "start", data: {} },
      ...Array.from({ length: 299 }, (_, i) => ({ id: `n${i + 1}`, type: "delay", data: { ms: 0 } })),
    ];
    // A binary tree: every node runs, many at once.
    const edges = nodes
      .slice(1)
      .map((node, i) => ({ id: `e${i}`, source: nodes[Math.floor(i / 2)]?.id, target: node.id }));
    const created = await ui.graphql<{ createWorkflow: { id: string } }>(
      'mutation($graph: JSON) { createWorkflow(input: {name: "Big", graph: $graph}) { id } }',
      { graph: { nodes, edges } },
    );
    const started = await ui.graphql<{ startExecution: { id: string } }>(
      "mutation($id: ID!) { startExecution(workflowId: $id) { id } }",
      { id: created.createWorkflow.id },
    );
    const t0 = Date.now();
    await page.goto(`${ui.origin}/#/executions/${started.startExecution.id}`);
    await page.locator('[data-testid="node-start"]').waitFor();
    const renderMs = Date.now() - t0;
    await page.evaluate(() => {
      const w = window as unknown as { __longest: number };
      w.__longest = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) w.__longest = Math.max(w.__longest, entry.duration);
      }).observe({ type: "longtask", buffered: false });
    });
    await expect.poll(() => page.getByTestId("execution-status").textContent(), { timeout: 60_000 }).toBe("SUCCEEDED");
    const followMs = Date.now() - t0;
    const shown = () =>
      page.locator('[data-testid^="timeline-"]').evaluateAll((rows) => {
        const counts: Record<string, number> = {};
        for (const row of rows) {
          const status = row.getAttribute("data-status") ?? "?";
          counts[status] = (counts[status] ?? 0) + 1;
        }
        return counts;
      });
    await expect.poll(shown, { timeout: 10_000 }).toEqual({ SUCCEEDED: 300 });
    const longestTask = await page.evaluate(() => (window as unknown as { __longest: number }).__longest);
    await ui.screenshot("execution-300-nodes", { fullPage: false });
    console.log(
      `300-node execution page: first render ${renderMs} ms; all 300 steps followed to SUCCEEDED in ${followMs} ms; longest main-thread task while following ${Math.round(longestTask)} ms`,
    );
    expect(renderMs).toBeLessThan(5000);
  }, 120_000);
});
