/**
 * Pausing a workflow in the console, in Chromium against a real server in production mode: a
 * workflow start → delay (1.5 s) → send_notification whose execution is waiting in the delay is
 * paused from the workflows list (asked to confirm first); the list says Paused, the executions
 * list and the execution page say "RUNNING · paused" once the delay has ended (the notification
 * step never runs); Resume on the execution page lets it finish (SUCCEEDED). On the editor: Pause,
 * the banner (since when, what it means), Resume; a refused Resume (the workflow deleted meanwhile)
 * shown, not swallowed. axe on each page changed.
 *
 * Needs Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH), like console.test.ts.
 */
import { describe, expect, it } from "vitest";
import { CHROMIUM_AVAILABLE, CHROMIUM_PATH } from "../support/browser.js";
import { SERVICES_REQUIRED } from "../support/env.js";
import { expectNodeStatus, POLL, seriousViolations, useConsole } from "./console-support.js";

const TEST_TIMEOUT = 90_000;
const DELAY_MS = 1500;

interface Step {
  nodeId: string;
  status: string;
  resumeAt: string | null;
}

describe("pausing a workflow in the console", () => {
  if (!CHROMIUM_AVAILABLE) {
    if (SERVICES_REQUIRED) {
      it("has Chromium to run in", () => {
        expect.fail(`no Chromium at ${CHROMIUM_PATH}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
      });
    } else {
      console.log(`Skipping the console's pause test: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium).`);
      it.skip("pauses and resumes a workflow (needs Chromium)", () => {});
    }
    return;
  }

  const ui = useConsole();

  const createWorkflow = async (name: string) => {
    const nodes = [
      { id: "start", type: "start", data: {} },
      { id: "wait", type: "delay", data: { ms: DELAY_MS } },
      { id: "notify", type: "send_notification", data: { toRole: "OPS", message: "after the pause" } },
    ];
    const edges = nodes.slice(1).map((node, i) => ({ id: `e${i}`, source: nodes[i]?.id, target: node.id }));
    const data = await ui.graphql<{ createWorkflow: { id: string } }>(
      "mutation($input: WorkflowInput!) { createWorkflow(input: $input) { id } }",
      { input: { name, graph: { nodes, edges }, trigger: {} } },
    );
    return data.createWorkflow.id;
  };
  const pauseState = async (workflowId: string) => {
    const data = await ui.graphql<{ workflow: { paused: boolean; pausedAt: string | null } }>(
      "query($id: ID!) { workflow(id: $id) { paused pausedAt } }",
      { id: workflowId },
    );
    return data.workflow;
  };
  const execution = async (id: string) => {
    const data = await ui.graphql<{ execution: { status: string; paused: boolean; steps: Step[] } }>(
      "query($id: ID!) { execution(id: $id) { status paused steps { nodeId status resumeAt } } }",
      { id },
    );
    return data.execution;
  };
  const stepStatus = async (id: string, nodeId: string) =>
    (await execution(id)).steps.find((step) => step.nodeId === nodeId)?.status;

  it(
    "pauses from the workflows list, shows the held execution as paused, resumes it from its page",
    async () => {
      const { page } = ui;
      const workflowId = await createWorkflow("E2E pause");
      await page.goto(`${ui.origin}/#/workflows`);
      const row = page.getByTestId("workflow-E2E pause");
      await row.waitFor();
      expect(await row.locator(".paused-pill").count()).toBe(0);

      // Pausing asks first, focus on the safe answer; Escape or "Keep running" changes nothing.
      const pauseButton = row.getByRole("button", { name: "Pause workflow E2E pause…" });
      const keepButton = row.getByRole("button", { name: "Keep running" });
      const question = row.getByRole("group", { name: /^Pause E2E pause\?/ });
      const focused = (locator: typeof pauseButton) =>
        locator.evaluate((element) => element === document.activeElement);
      await pauseButton.click();
      await expect.poll(() => focused(keepButton), POLL).toBe(true);
      await page.keyboard.press("Escape");
      await question.waitFor({ state: "detached" });
      await expect.poll(() => focused(pauseButton), POLL).toBe(true);
      await page.keyboard.press("Enter");
      await keepButton.click();
      await question.waitFor({ state: "detached" });
      await pauseButton.click();
      expect(await question.textContent()).toContain("running executions hold before their next step");
      expect(await seriousViolations(page)).toEqual([]);
      expect((await pauseState(workflowId)).paused).toBe(false);

      // An execution waiting in its delay, then the confirmed pause (well before the delay ends).
      const { startExecution } = await ui.graphql<{ startExecution: { id: string } }>(
        "mutation($id: ID!) { startExecution(workflowId: $id) { id } }",
        { id: workflowId },
      );
      const executionId = startExecution.id;
      await expect.poll(() => stepStatus(executionId, "wait"), POLL).toBe("WAITING");
      await question.getByRole("button", { name: "Yes, pause E2E pause" }).click();
      await row.locator(".paused-pill").waitFor();
      expect(await row.locator(".paused-pill").textContent()).toBe("Paused");
      const paused = await pauseState(workflowId);
      expect(paused.paused).toBe(true);
      const waitStep = (await execution(executionId)).steps.find((step) => step.nodeId === "wait");
      // Paused while the delay was still running: what follows it is what must hold.
      expect(Date.parse(paused.pausedAt ?? "")).toBeLessThan(Date.parse(waitStep?.resumeAt ?? ""));
      await row.getByRole("button", { name: "Resume workflow E2E pause" }).waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await ui.screenshot("pause-workflows");

      // The executions list: RUNNING · paused.
      await page.goto(`${ui.origin}/#/executions?workflow=${workflowId}`);
      const executionRow = page.getByTestId("execution-row").filter({ hasText: executionId.slice(0, 8) });
      await executionRow.getByTestId("execution-row-paused").waitFor();
      expect((await executionRow.textContent())?.replace(/\s+/g, " ")).toMatch(/(PENDING|RUNNING) · paused/);
      expect(await seriousViolations(page)).toEqual([]);

      // The execution page: the delay ends on time, the notification is held, the page says paused.
      await page.goto(`${ui.origin}/#/executions/${executionId}`);
      await expectNodeStatus(page, "wait", "SUCCEEDED");
      await page.getByTestId("execution-paused").waitFor();
      expect(await page.getByTestId("execution-status").textContent()).toBe("RUNNING");
      const banner = page.getByTestId("execution-paused-banner");
      expect(await banner.textContent()).toContain("This execution runs no further step until it is resumed");
      await expect.poll(() => stepStatus(executionId, "notify"), POLL).toBe("PENDING");
      expect(await execution(executionId)).toMatchObject({ status: "RUNNING", paused: true });
      expect(await page.getByTestId("node-notify").getAttribute("data-status")).not.toBe("SUCCEEDED");
      expect(await seriousViolations(page)).toEqual([]);
      await ui.screenshot("pause-execution");

      // Resume from the execution page: it finishes, the paused state goes.
      await banner.getByRole("button", { name: "Resume workflow" }).click();
      await expect.poll(() => page.getByTestId("execution-status").textContent(), POLL).toBe("SUCCEEDED");
      await expectNodeStatus(page, "notify", "SUCCEEDED");
      await expect.poll(() => page.getByTestId("execution-paused").count(), POLL).toBe(0);
      expect(await page.getByTestId("execution-paused-banner").count()).toBe(0);
      expect((await pauseState(workflowId)).paused).toBe(false);
      expect(await execution(executionId)).toMatchObject({ status: "SUCCEEDED", paused: false });
    },
    TEST_TIMEOUT,
  );

  it(
    "pauses and resumes on the editor page, and shows a refused resume",
    async () => {
      const { page } = ui;
      const workflowId = await createWorkflow("E2E pause editor");
      await page.goto(`${ui.origin}/#/workflows/${workflowId}/edit`);
      await page.getByTestId("workflow-running").waitFor();
      await page.getByRole("button", { name: "Pause workflow…" }).click();
      await page.getByRole("button", { name: "Yes, pause" }).click();
      const banner = page.getByTestId("workflow-paused");
      await banner.waitFor();
      expect(await banner.textContent()).toMatch(
        /Paused since .+: no events match, schedules stopped, running executions hold before their next step/,
      );
      expect((await pauseState(workflowId)).paused).toBe(true);
      expect(await seriousViolations(page)).toEqual([]);
      await ui.screenshot("pause-editor", { fullPage: false });

      await banner.getByRole("button", { name: "Resume workflow" }).click();
      await page.getByTestId("workflow-running").waitFor();
      expect(await banner.count()).toBe(0);
      expect((await pauseState(workflowId)).paused).toBe(false);

      // Paused again, then deleted elsewhere: Resume is refused and the page says why.
      await page.getByRole("button", { name: "Pause workflow…" }).click();
      await page.getByRole("button", { name: "Yes, pause" }).click();
      await banner.waitFor();
      await ui.graphql("mutation($id: ID!) { deleteWorkflow(id: $id) { deleted } }", { id: workflowId });
      await banner.getByRole("button", { name: "Resume workflow" }).click();
      const alerts = banner.getByRole("alert");
      await alerts.first().waitFor();
      await expect
        .poll(() => alerts.allTextContents(), POLL)
        .toContainEqual(expect.stringMatching(/not found|no workflow/i));
    },
    TEST_TIMEOUT,
  );
});
