/**
 * The console on a server with API keys: the page and its assets load
 * without a key, the API does not; the console asks for a key, says so
 * plainly when the server refuses one, and with the right one works, live
 * (the key also goes to the WebSocket in connectionParams).
 */
import { describe, expect, it } from "vitest";
import { CHROMIUM_AVAILABLE, CHROMIUM_PATH } from "../support/browser.js";
import { SERVICES_REQUIRED } from "../support/env.js";
import { POLL, useConsole } from "./console-support.js";

const KEY = "e2e-console-key";

/** A request whose body is read to the end (an unread body keeps its socket open). */
async function request(url: string, init?: RequestInit) {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, body: await response.text() };
}

describe("the web console with API keys", () => {
  if (!CHROMIUM_AVAILABLE) {
    if (SERVICES_REQUIRED) {
      it("has Chromium to run in", () => {
        expect.fail(`no Chromium at ${CHROMIUM_PATH}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
      });
    } else {
      it.skip("asks for a key (needs Chromium)", () => {});
    }
    return;
  }

  const ui = useConsole({ overrides: { API_KEYS: KEY }, apiKey: KEY });

  it("serves the page and its assets without a key, and the API only with one", async () => {
    const page = await request(`${ui.origin}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const script = /src="(\/console\/[^"]+\.js)"/.exec(page.body)?.[1];
    expect(script).toBeDefined();
    const asset = await request(`${ui.origin}${script}`, { headers: { "accept-encoding": "gzip" } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toContain("text/javascript");
    expect(asset.headers.get("cache-control")).toContain("immutable");
    expect((await request(`${ui.origin}/console/nothing.js`)).status).toBe(404);
    const api = await request(`${ui.origin}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ nodeTypes { type } }" }),
    });
    expect(api.status).toBe(401);
    // GraphiQL and Swagger stay where they were, behind the key.
    expect((await request(`${ui.origin}/graphql`, { headers: { accept: "text/html" } })).status).toBe(401);
    expect((await request(`${ui.origin}/docs`)).status).toBe(401);
  });

  it("asks for a key, refuses a wrong one with a clear message, and works with the right one", async () => {
    const { page } = ui;
    await page.goto(`${ui.origin}/#/workflows`);
    const input = page.getByLabel("API key");
    await input.waitFor();
    await ui.screenshot("api-key-prompt");
    await input.fill("wrong-key");
    await page.getByRole("button", { name: "Connect" }).click();
    await expect.poll(() => page.getByRole("alert").textContent(), POLL).toContain("The server refused that API key");
    await ui.screenshot("api-key-refused");
    expect(await page.evaluate(() => sessionStorage.getItem("workflow-console.apiKey"))).toBeNull();

    await page.getByLabel("API key").fill(KEY);
    await page.getByRole("button", { name: "Connect" }).click();
    await page.getByRole("heading", { name: "Workflows" }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("workflow-console.apiKey"))).toBe(KEY);

    // Subscriptions carry the key too: the execution list goes live, and a new execution appears.
    await page.getByRole("link", { name: "Executions", exact: true }).click();
    await expect.poll(() => page.locator(".live-dot").textContent(), POLL).toBe("live");
    await ui.graphql(
      'mutation { createWorkflow(input: {name: "Keyed", graph: {nodes: [{id: "start", type: "start", data: {}}], edges: []}}) { id } }',
    );
    const { workflows } = await ui.graphql<{ workflows: { edges: { node: { id: string } }[] } }>(
      "{ workflows(first: 1) { edges { node { id } } } }",
    );
    await ui.graphql("mutation($id: ID!) { startExecution(workflowId: $id) { id } }", {
      id: workflows.edges[0]?.node.id,
    });
    await page.getByTestId("execution-row").first().waitFor();

    // A reload in the same tab keeps the key.
    await page.reload();
    await page.getByRole("heading", { name: "Executions" }).waitFor();
  });
});
