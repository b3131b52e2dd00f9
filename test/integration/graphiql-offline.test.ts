/**
 * GraphiQL works on a machine without internet (issue 17, point 6): yoga's
 * own page loaded its script, styles and editor workers from a public CDN and
 * stayed blank offline. Here a real Chromium opens GET /graphql with every
 * request to another host aborted, runs a query by typing it and pressing
 * run, and watches a subscription receive an event sent through the REST API.
 *
 * Needs Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH): CI installs it
 * and fails without it; elsewhere the test is skipped with a line saying why.
 */
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkflow } from "../../src/services/workflows.js";
import { CHROMIUM_AVAILABLE, CHROMIUM_PATH, launchOfflineBrowser, type OfflineBrowser } from "../support/browser.js";
import { SERVICES_REQUIRED } from "../support/env.js";
import { waitForBusSubscribers } from "../support/redis.js";
import { useServedEngine } from "../support/served-engine.js";

// No worker: the execution the event starts stays PENDING, so the page shows exactly that state.
const served = useServedEngine();

/** Generous: under the full suite two cores also run every other test file while Chromium parses 5 MB of script. */
const UI_TIMEOUT = 45_000;

/**
 * Replaces the query in GraphiQL's editor as a user would (select all, type),
 * waits until GraphiQL has read it (the tab takes the operation's name: it
 * parses the editor a moment after each change, and a run before that sends
 * the previous operation's name), then presses run.
 */
async function runInGraphiQL(page: Page, operationName: string, query: string): Promise<void> {
  await page.locator(".graphiql-query-editor .monaco-editor").click();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.insertText(query);
  // The editor closes brackets as they are typed: drop what it added after the cursor.
  await page.keyboard.press("Shift+ControlOrMeta+End");
  await page.keyboard.press("Delete");
  await expect.poll(() => shownText(page.locator(".graphiql-tab-active")), { timeout: UI_TIMEOUT }).toBe(operationName);
  await page.locator(".graphiql-execute-button").click();
}

/** The text an element shows (as rendered: the editors draw spaces as no-break spaces). */
async function shownText(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: what the page shows is what the test is about.
  return (await locator.innerText()).replace(/\u00a0/g, " ");
}

describe("GraphiQL in a browser with no internet", () => {
  if (!CHROMIUM_AVAILABLE) {
    if (SERVICES_REQUIRED) {
      it("has Chromium to run in", () => {
        expect.fail(`no Chromium at ${CHROMIUM_PATH}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
      });
    } else {
      console.log(
        `Skipping the GraphiQL browser test: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH).`,
      );
      it.skip("runs a query and a subscription (needs Chromium)", () => {});
    }
    return;
  }

  let browser: OfflineBrowser;
  const workers: string[] = [];
  const sseRequests: string[] = [];

  beforeAll(async () => {
    browser = await launchOfflineBrowser(served.server.url);
    browser.page.on("worker", (worker) => workers.push(worker.url()));
    browser.page.on("request", (request) => {
      if (request.headers().accept?.includes("text/event-stream")) sseRequests.push(request.url());
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it(
    "renders from this server alone, runs a query, and shows a subscription's events live",
    async () => {
      const { page, externalRequests } = browser;
      const origin = served.server.url;

      const response = await page.goto(`${origin}/graphql`);
      expect(response?.status()).toBe(200);
      // Everything the page loads before its load event: script and styles.
      expect(externalRequests, "requests to other hosts while loading").toEqual([]);

      // GraphiQL rendered: its editor and run button, and the default query we configured.
      const editor = page.locator(".graphiql-query-editor .monaco-editor");
      await editor.waitFor({ timeout: UI_TIMEOUT });
      await expect.poll(() => shownText(editor), { timeout: UI_TIMEOUT }).toContain("query Workflows");
      // Its editor workers started, from this server.
      await expect
        .poll(() => workers.some((url) => url.startsWith(`${origin}/`) && url.includes("graphql.worker")), {
          timeout: UI_TIMEOUT,
        })
        .toBe(true);

      // A query, typed and run: the answer comes from this server.
      await runInGraphiQL(page, "NodeTypes", "query NodeTypes { nodeTypes { type } }");
      const result = page.locator(".graphiql-response");
      await expect.poll(() => shownText(result), { timeout: UI_TIMEOUT }).toContain('"http_call"');
      expect(await shownText(result)).toContain('"send_notification"');

      // A subscription, then an event sent through the REST API: the execution it starts shows up live.
      await createWorkflow(served.engine.services, {
        name: "GraphiQL subscription",
        trigger: { "==": [{ var: "kind" }, "graphiql-offline"] },
        graph: { nodes: [{ id: "start", type: "start" }], edges: [] },
      });
      await runInGraphiQL(page, "LiveExecutions", "subscription LiveExecutions { executionsChanged { id status } }");
      await waitForBusSubscribers(served.engine.config.QUEUE_PREFIX, ["executionsChanged:*"], UI_TIMEOUT);
      // Over SSE, to this server's /graphql.
      await expect.poll(() => sseRequests.filter((url) => url.startsWith(`${origin}/graphql?`)).length).toBe(1);

      const sent = await fetch(`${origin}/events`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ kind: "graphiql-offline" }),
      });
      expect(sent.status).toBe(200);
      const { execution_ids: executionIds } = (await sent.json()) as { execution_ids: string[] };
      expect(executionIds).toHaveLength(1);
      await expect.poll(() => shownText(result), { timeout: UI_TIMEOUT }).toContain(`"id": "${executionIds[0]}"`);
      expect(await shownText(result)).toContain('"status": "PENDING"');

      // Nothing was tried elsewhere afterwards either (workers, fonts, the schema).
      expect(externalRequests, "requests to other hosts").toEqual([]);
    },
    4 * UI_TIMEOUT,
  );
});
