/**
 * The execution page's reruns and links, in Chromium against a real server in production mode:
 * a finished execution rerun from a node through "Rerun from here" (bad data refused, its field
 * named beside the form; good data run as a new execution whose page opens), the links between an
 * execution and its rerun both ways, and a call_workflow / for_each parent with its children
 * listed and each child pointing back to the parent that started it.
 *
 * Needs Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH), like console.test.ts.
 */
import { describe, expect, it } from "vitest";
import { CHROMIUM_AVAILABLE, CHROMIUM_PATH } from "../support/browser.js";
import { SERVICES_REQUIRED } from "../support/env.js";
import { expectNodeStatus, POLL, seriousViolations, useConsole } from "./console-support.js";

const TEST_TIMEOUT = 90_000;

describe("the execution page's reruns and links", () => {
  if (!CHROMIUM_AVAILABLE) {
    if (SERVICES_REQUIRED) {
      it("has Chromium to run in", () => {
        expect.fail(`no Chromium at ${CHROMIUM_PATH}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
      });
    } else {
      console.log(`Skipping the console's rerun tests: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium).`);
      it.skip("reruns from a node and links executions (needs Chromium)", () => {});
    }
    return;
  }

  const ui = useConsole();

  const createWorkflow = async (name: string, graph: unknown) => {
    const data = await ui.graphql<{ createWorkflow: { id: string } }>(
      "mutation($input: WorkflowInput!) { createWorkflow(input: $input) { id } }",
      { input: { name, graph, trigger: {} } },
    );
    return data.createWorkflow.id;
  };
  const startExecution = async (workflowId: string, payload: unknown = {}) => {
    const data = await ui.graphql<{ startExecution: { id: string } }>(
      "mutation($id: ID!, $payload: JSON) { startExecution(workflowId: $id, payload: $payload) { id } }",
      { id: workflowId, payload },
    );
    return data.startExecution.id;
  };
  const linear = (nodes: { id: string; type: string; data?: unknown }[]) => ({
    nodes: nodes.map((n) => ({ data: {}, ...n })),
    edges: nodes.slice(1).map((n, i) => ({ id: `e${i}`, source: nodes[i]?.id, target: n.id })),
  });
  const executionIdInUrl = (url: string) => /#\/executions\/([^/?]+)$/.exec(url)?.[1];

  it(
    "reruns a finished execution from a node with new data and opens the new execution",
    async () => {
      const { page } = ui;
      const workflowId = await createWorkflow(
        "E2E rerun",
        linear([
          { id: "start", type: "start" },
          { id: "tell", type: "send_notification", data: { toRole: "AE", message: "Hello {{payload.who}}" } },
          { id: "done", type: "end" },
        ]),
      );
      const originalId = await startExecution(workflowId, { who: "Ada" });
      await page.goto(`${ui.origin}/#/executions/${originalId}`);
      await expect.poll(() => page.getByTestId("execution-status").textContent(), POLL).toBe("SUCCEEDED");
      await expectNodeStatus(page, "tell", "SUCCEEDED");

      await page.locator('[data-testid="node-tell"]').click();
      const detail = page.getByRole("complementary", { name: "Step details" });
      await detail.getByRole("button", { name: "Rerun from here" }).click();
      const form = detail.getByRole("form", { name: "Rerun from tell" });
      const data = form.getByLabel("Node data for the rerun (JSON)");
      // Prefilled with the node's data in the pinned version.
      expect(JSON.parse(await data.inputValue())).toEqual({ toRole: "AE", message: "Hello {{payload.who}}" });

      // Not JSON: said at once, nothing sent.
      await data.fill('{"message": ');
      await form.getByRole("button", { name: "Start rerun" }).click();
      await expect.poll(() => form.getByTestId("rerun-problem").textContent(), POLL).toContain("Not valid JSON");
      // Data its node type refuses: the server's BAD_USER_INPUT, naming the field, beside the form.
      await data.fill('{"toRole": "AE", "message": 5}');
      await form.getByRole("button", { name: "Start rerun" }).click();
      await expect.poll(() => form.getByTestId("rerun-problem").textContent(), POLL).toContain("input.message");
      expect(executionIdInUrl(page.url())).toBe(originalId);
      await ui.screenshot("execution-rerun-problem");
      expect(await seriousViolations(page)).toEqual([]);

      await data.fill('{"toRole": "AE", "message": "Hello again {{payload.who}}"}');
      await form.getByRole("button", { name: "Start rerun" }).click();
      await expect.poll(() => executionIdInUrl(page.url()), POLL).not.toBe(originalId);
      const rerunId = executionIdInUrl(page.url()) ?? "";
      await expect.poll(() => page.getByTestId("execution-status").textContent(), POLL).toBe("SUCCEEDED");
      await expectNodeStatus(page, "tell", "SUCCEEDED");
      await expect
        .poll(() => page.getByTestId("rerun-of").textContent(), POLL)
        .toBe(`Rerun of ${originalId} from node tell`);
      await page.locator('[data-testid="node-tell"]').click();
      await expect.poll(() => page.getByTestId("step-detail-tell").textContent(), POLL).toContain("Hello again Ada");
      await ui.screenshot("execution-rerun");

      const { execution } = await ui.graphql<{
        execution: { rerunOf: { id: string }; rerunFromNodeId: string; payload: unknown };
      }>("query($id: ID!) { execution(id: $id) { rerunOf { id } rerunFromNodeId payload } }", { id: rerunId });
      expect(execution).toEqual({ rerunOf: { id: originalId }, rerunFromNodeId: "tell", payload: { who: "Ada" } });

      // Back to the original: its reruns list the new one.
      await page.getByTestId("rerun-of").getByRole("link").click();
      await expect.poll(() => executionIdInUrl(page.url()), POLL).toBe(originalId);
      const rows = page.getByTestId("reruns-row");
      await expect.poll(() => rows.count(), POLL).toBe(1);
      expect(await rows.first().textContent()).toContain(rerunId);
      expect(await rows.first().textContent()).toContain("SUCCEEDED");

      // Rerun again with the data unchanged: no input is sent (the node's data stays as this run had it).
      await page.locator('[data-testid="node-tell"]').click();
      await detail.getByRole("button", { name: "Rerun from here" }).click();
      await detail.getByRole("button", { name: "Start rerun" }).click();
      await expect.poll(() => executionIdInUrl(page.url()), POLL).not.toBe(originalId);
      await expect.poll(() => page.getByTestId("execution-status").textContent(), POLL).toBe("SUCCEEDED");
      await page.locator('[data-testid="node-tell"]').click();
      await expect.poll(() => page.getByTestId("step-detail-tell").textContent(), POLL).toContain("Hello Ada");
    },
    TEST_TIMEOUT,
  );

  it(
    "offers a rerun only once the execution is finished (here cancelled)",
    async () => {
      const { page } = ui;
      const workflowId = await createWorkflow(
        "E2E rerun waiting",
        linear([
          { id: "start", type: "start" },
          { id: "long", type: "delay", data: { ms: 600_000 } },
        ]),
      );
      const executionId = await startExecution(workflowId);
      await page.goto(`${ui.origin}/#/executions/${executionId}`);
      await expectNodeStatus(page, "long", "WAITING");
      await page.locator('[data-testid="node-long"]').click();
      const detail = page.getByRole("complementary", { name: "Step details" });
      await detail.getByTestId("step-detail-long").waitFor();
      expect(await detail.getByRole("button", { name: "Rerun from here" }).count()).toBe(0);
      await page.getByRole("button", { name: "Cancel" }).click();
      await expect.poll(() => page.getByTestId("execution-status").textContent(), POLL).toBe("CANCELLED");
      await detail.getByRole("button", { name: "Rerun from here" }).click();
      await detail.getByLabel("Node data for the rerun (JSON)").fill('{"ms": 10}');
      await detail.getByRole("button", { name: "Start rerun" }).click();
      await expect.poll(() => executionIdInUrl(page.url()), POLL).not.toBe(executionId);
      await expect.poll(() => page.getByTestId("execution-status").textContent(), POLL).toBe("SUCCEEDED");
      await expect
        .poll(() => page.getByTestId("rerun-of").textContent(), POLL)
        .toBe(`Rerun of ${executionId} from node long`);
    },
    TEST_TIMEOUT,
  );

  it(
    "lists the children a call_workflow and a for_each started, each linking back to its parent",
    async () => {
      const { page } = ui;
      const childWorkflow = await createWorkflow(
        "E2E child",
        linear([
          { id: "start", type: "start" },
          { id: "done", type: "end" },
        ]),
      );
      const parentWorkflow = await createWorkflow(
        "E2E parent",
        linear([
          { id: "start", type: "start" },
          { id: "call", type: "call_workflow", data: { workflowId: childWorkflow } },
          { id: "each", type: "for_each", data: { items: [1, 2], workflowId: childWorkflow } },
          { id: "done", type: "end" },
        ]),
      );
      const parentId = await startExecution(parentWorkflow, { from: "e2e" });
      await page.goto(`${ui.origin}/#/executions/${parentId}`);
      await expect.poll(() => page.getByTestId("execution-status").textContent(), POLL).toBe("SUCCEEDED");

      // The API names the step that started a child by its id; the page shows its node.
      const { execution } = await ui.graphql<{
        execution: {
          steps: { id: string; nodeId: string }[];
          children: { id: string; parentStepId: string; childIndex: number }[];
        };
      }>("query($id: ID!) { execution(id: $id) { steps { id nodeId } children { id parentStepId childIndex } } }", {
        id: parentId,
      });
      const nodeOf = new Map(execution.steps.map((step) => [step.id, step.nodeId]));
      const children = execution.children.map((c) => ({ ...c, node: nodeOf.get(c.parentStepId) }));
      expect(children.map((c) => [c.node, c.childIndex])).toEqual([
        ["call", 0],
        ["each", 0],
        ["each", 1],
      ]);
      const rows = page.getByTestId("children-row");
      await expect.poll(() => rows.count(), POLL).toBe(3);
      await expect
        .poll(() => rows.allTextContents(), POLL)
        .toEqual(children.map((c) => `${c.id}SUCCEEDED${c.childIndex}${c.node}E2E child`));
      // (Scanned before a step is selected: a step output too long for its box is a scrollable
      // region axe wants focusable, a finding of the step details, not of these links.)
      expect(await seriousViolations(page)).toEqual([]);
      // The for_each step's details link to the executions it started.
      await page.locator('[data-testid="node-each"]').click();
      const started = page.getByTestId("step-detail-each").getByTestId("step-started");
      await expect.poll(() => started.getByRole("link").count(), POLL).toBe(2);
      await ui.screenshot("execution-children");

      const last = children[2];
      await rows.nth(2).getByRole("link", { name: last?.id }).click();
      await expect.poll(() => executionIdInUrl(page.url()), POLL).toBe(last?.id);
      await expect.poll(() => page.getByTestId("execution-status").textContent(), POLL).toBe("SUCCEEDED");
      await expect
        .poll(() => page.getByTestId("started-by").textContent(), POLL)
        .toBe(`Started by ${parentId} (E2E parent) · node each · index 1 · depth 1`);
      await page.getByTestId("started-by").getByRole("link").click();
      await expect.poll(() => executionIdInUrl(page.url()), POLL).toBe(parentId);
    },
    TEST_TIMEOUT,
  );
});
