/**
 * The console at scale (issue 20, point 6), in Chromium against a real server:
 *
 * - an execution of a 300-node workflow (saved without positions, so laid out
 *   by dagre): how long its page takes to draw, and how smooth it stays while
 *   the steps' updates stream in (frame gaps measured with requestAnimationFrame
 *   in the page, long tasks with a PerformanceObserver, updates counted on the
 *   page's own WebSocket);
 * - 100,000 executions: the list pages through them with cursors, never
 *   holding more than a page of rows, and filters them.
 *
 * Times are printed, not asserted: CI shares two cores between the server,
 * the worker, the tests and the browser.
 */
import type { CDPSession, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { CHROMIUM_AVAILABLE } from "../support/browser.js";
import { POLL, useConsole } from "./console-support.js";

/** What the page records about itself from its first script on (installed before every navigation). */
interface PagePerf {
  frames: number[];
  longTasks: { start: number; duration: number }[];
  updates: number[];
  /** When the graph's first node was in the DOM, and the end of the first frame painted after. */
  graphAt?: number;
  graphPainted?: number;
  /** The same for the timeline's rows, once there are sessionStorage "expectRows" of them. */
  rowsAt?: number;
  rowsPainted?: number;
}

function installPerfProbe() {
  const perf: PagePerf = { frames: [], longTasks: [], updates: [] };
  (window as unknown as { __perf: PagePerf }).__perf = perf;
  const frame = (time: number) => {
    perf.frames.push(time);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) perf.longTasks.push({ start: entry.startTime, duration: entry.duration });
  }).observe({ type: "longtask", buffered: true });
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener("message", (event) => {
        if (typeof event.data === "string" && event.data.includes('"executionUpdated"')) {
          perf.updates.push(performance.now());
        }
      });
    }
  };
  // The task after the next frame: that frame has been painted.
  const afterPaint = (key: "graphPainted" | "rowsPainted") =>
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        perf[key] = performance.now();
      };
      channel.port2.postMessage(null);
    });
  const expectRows = Number(sessionStorage.getItem("expectRows") ?? "0");
  const observer = new MutationObserver(() => {
    if (perf.graphAt === undefined && document.querySelector('[data-testid="node-start"]')) {
      perf.graphAt = performance.now();
      afterPaint("graphPainted");
    }
    if (
      perf.rowsAt === undefined &&
      expectRows > 0 &&
      document.querySelectorAll('[data-testid^="timeline-"]').length >= expectRows
    ) {
      perf.rowsAt = performance.now();
      afterPaint("rowsPainted");
    }
    if (perf.graphAt !== undefined && (expectRows === 0 || perf.rowsAt !== undefined)) observer.disconnect();
  });
  document.addEventListener("DOMContentLoaded", () => {
    observer.observe(document.body, { childList: true, subtree: true });
  });
}

const readPerf = (page: Page) => page.evaluate(() => (window as unknown as { __perf: PagePerf }).__perf);

/** The main thread's CPU time (ThreadTime, from Chromium's own metrics): what the page cost, whatever else ran. */
async function threadTime(session: CDPSession): Promise<number> {
  const { metrics } = await session.send("Performance.getMetrics");
  return (metrics.find((metric) => metric.name === "ThreadTime")?.value ?? 0) * 1000;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? 0;
};
const ms = (value: number | undefined) => (value === undefined ? "—" : `${Math.round(value)} ms`);

/**
 * 300 nodes, a binary tree of delays timed so that node i finishes about
 * FIRST_MS + i·SPACING_MS after the start: the page is open before the
 * stream starts, then ~33 steps a second finish (each step brings ~3 updates:
 * running, waiting, succeeded), for about 10 s.
 */
const FIRST_MS = 1500;
const SPACING_MS = 30;
function bigTree() {
  const ids = ["start", ...Array.from({ length: 299 }, (_, i) => `n${i + 1}`)];
  const parent = (i: number) => Math.floor((i - 1) / 2);
  const finish = (i: number) => (i === 0 ? 0 : FIRST_MS + i * SPACING_MS);
  const nodes = ids.map((id, i) =>
    i === 0 ? { id, type: "start", data: {} } : { id, type: "delay", data: { ms: finish(i) - finish(parent(i)) } },
  );
  const edges = ids.slice(1).map((id, k) => ({ id: `e${k}`, source: ids[parent(k + 1)], target: id }));
  return { nodes, edges };
}

describe.runIf(CHROMIUM_AVAILABLE)("the web console at scale", () => {
  const ui = useConsole();

  it("draws a 300-node execution in under a second and stays smooth while its updates stream in", async () => {
    const { page } = ui;
    await page.addInitScript(installPerfProbe);
    const created = await ui.graphql<{ createWorkflow: { id: string } }>(
      'mutation($graph: JSON) { createWorkflow(input: {name: "Big", graph: $graph}) { id } }',
      { graph: bigTree() },
    );
    const started = await ui.graphql<{ startExecution: { id: string } }>(
      "mutation($id: ID!) { startExecution(workflowId: $id) { id } }",
      { id: created.createWorkflow.id },
    );
    const url = `${ui.origin}/#/executions/${started.startExecution.id}`;
    const session = await page.context().newCDPSession(page);
    await session.send("Performance.enable");

    // Opened while it runs: first in a browser that has nothing cached or compiled yet (cold),
    // then again with the console's assets in its cache (warm), as when a user comes back to it.
    await page.goto(url);
    await expect.poll(async () => (await readPerf(page)).graphPainted, POLL).toBeGreaterThan(0);
    const cold = await readPerf(page);
    await page.goto("about:blank");
    await page.goto(url);
    await expect.poll(async () => (await readPerf(page)).graphPainted, POLL).toBeGreaterThan(0);
    const cpuBefore = await threadTime(session);
    const wallBefore = Date.now();
    await expect.poll(() => page.getByTestId("execution-status").textContent(), { timeout: 60_000 }).toBe("SUCCEEDED");
    const cpuFollowing = (await threadTime(session)) - cpuBefore;
    const wallFollowing = Date.now() - wallBefore;
    const statuses = () =>
      page.locator('[data-testid^="timeline-"]').evaluateAll((rows) => {
        const counts: Record<string, number> = {};
        for (const row of rows) {
          const status = row.getAttribute("data-status") ?? "?";
          counts[status] = (counts[status] ?? 0) + 1;
        }
        return counts;
      });
    await expect.poll(statuses, POLL).toEqual({ SUCCEEDED: 300 });
    const following = await readPerf(page);
    await ui.screenshot("execution-300-nodes", { fullPage: false });

    // Frames and long tasks from the graph's first paint to the last update.
    const from = following.graphPainted ?? 0;
    const updates = following.updates.filter((t) => t >= from);
    const to = updates.at(-1) ?? from;
    const frames = following.frames.filter((t) => t >= from && t <= to);
    const gaps = frames.slice(1).map((t, i) => t - (frames[i] ?? t));
    const tasks = following.longTasks.filter((task) => task.start >= from && task.start <= to);
    const seconds = Math.max(0.001, (to - from) / 1000);
    const perSecond = new Map<number, number>();
    for (const t of updates) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);

    // Opened again once finished: the graph, then all 300 timeline rows.
    await page.evaluate(() => sessionStorage.setItem("expectRows", "300"));
    await page.goto("about:blank");
    const cpuReopen = await threadTime(session);
    await page.goto(url);
    await expect.poll(async () => (await readPerf(page)).rowsPainted, POLL).toBeGreaterThan(0);
    const cpuReopened = (await threadTime(session)) - cpuReopen;
    const reopened = await readPerf(page);
    await page.evaluate(() => sessionStorage.removeItem("expectRows"));
    await session.detach();

    console.log(
      [
        "300-node execution page (times from navigation, measured in the page; CPU = the page's main thread):",
        `  first render, opened while running: graph painted at ${ms(cold.graphPainted)} in a cold browser, ${ms(following.graphPainted)} with the assets cached`,
        `  following: ${updates.length} updates in ${seconds.toFixed(1)} s (${Math.round(updates.length / seconds)}/s on average, ${Math.max(...perSecond.values())} in the busiest second); main thread busy ${Math.round(cpuFollowing)} ms of CPU in ${wallFollowing} ms (${Math.round((100 * cpuFollowing) / wallFollowing)}%)`,
        `  frames while following: ${frames.length}, gap p50 ${ms(percentile(gaps, 0.5))}, p95 ${ms(percentile(gaps, 0.95))}, longest ${ms(Math.max(0, ...gaps))}; long tasks ${tasks.length}, longest ${ms(Math.max(0, ...tasks.map((task) => task.duration)))}`,
        `  reopened once finished: graph painted at ${ms(reopened.graphPainted)}, all 300 timeline rows at ${ms(reopened.rowsPainted)}; longest task ${ms(Math.max(0, ...reopened.longTasks.map((task) => task.duration)))}; ${Math.round(cpuReopened)} ms of CPU`,
      ].join("\n"),
    );
    // Followed live: the steps' updates arrived while the page was open, at least one per step.
    expect(updates.length).toBeGreaterThanOrEqual(300);
  }, 120_000);

  it("pages through 100,000 executions with cursors, one page of rows at a time, and filters them", async () => {
    const { page } = ui;
    const create = async (name: string) =>
      (
        await ui.graphql<{ createWorkflow: { id: string } }>(
          'mutation($name: String!) { createWorkflow(input: {name: $name, graph: {nodes: [{id: "start", type: "start", data: {}}], edges: []}}) { id } }',
          { name },
        )
      ).createWorkflow.id;
    const bulkA = await create("Bulk A");
    const bulkB = await create("Bulk B");
    // 100,000 finished executions in one statement: every 10th of Bulk B, every 50th FAILED,
    // one a second going back from a day ago (older than anything else in this database).
    const seeding = Date.now();
    await ui.database.db.$executeRawUnsafe(
      `INSERT INTO "Execution" (id, "workflowId", "workflowVersion", status, payload, seq, "createdAt", "startedAt", "finishedAt")
       SELECT gen_random_uuid()::text, CASE WHEN i % 10 = 0 THEN $2 ELSE $1 END, 1,
              (CASE WHEN i % 50 = 0 THEN 'FAILED' ELSE 'SUCCEEDED' END)::"ExecutionStatus", jsonb_build_object('i', i), 3,
              t, t, t + interval '20 milliseconds'
       FROM generate_series(1, 100000) AS i, LATERAL (SELECT now() - interval '1 day' - i * interval '1 second' AS t) AS at`,
      bulkA,
      bulkB,
    );
    await ui.database.db.$executeRawUnsafe('ANALYZE "Execution"');
    const seedMs = Date.now() - seeding;

    // Every executions page the console asks for, as answered.
    const pages: number[] = [];
    page.on("response", async (response) => {
      if (!response.url().endsWith("/graphql") || response.request().method() !== "POST") return;
      const body = (await response.json().catch(() => undefined)) as
        | { data?: { executions?: { edges: unknown[] } } }
        | undefined;
      if (body?.data?.executions) pages.push(body.data.executions.edges.length);
    });
    const rows = page.getByTestId("execution-row");
    const firstRowId = () => rows.first().locator("code").textContent();
    const pageLabel = () => page.getByRole("navigation", { name: "Pages" }).locator("span").textContent();

    const opening = Date.now();
    await page.goto(`${ui.origin}/#/executions`);
    await rows.first().waitFor();
    const firstRenderMs = Date.now() - opening;
    expect(await rows.count()).toBe(25);
    await ui.screenshot("executions-100k", { fullPage: false });
    const newest = await firstRowId();

    const turn = async (button: RegExp, label: string) => {
      const before = await firstRowId();
      const started = Date.now();
      await page.getByRole("button", { name: button }).click();
      await expect.poll(pageLabel, POLL).toBe(label);
      await expect.poll(firstRowId, POLL).not.toBe(before);
      return Date.now() - started;
    };
    const older = [await turn(/Older/, "Page 2"), await turn(/Older/, "Page 3")];
    expect(await rows.count()).toBe(25);
    const third = await firstRowId();
    const newer = await turn(/Newer/, "Page 2");
    expect(await firstRowId()).not.toBe(third);
    await turn(/Newer/, "Page 1");
    expect(await firstRowId()).toBe(newest);

    // Filters: by status, then by workflow too (every FAILED one is Bulk B's).
    const filtering = Date.now();
    await page.getByLabel("Status", { exact: true }).selectOption("FAILED");
    await expect
      .poll(() => rows.evaluateAll((all) => all.map((row) => row.getAttribute("data-status"))), POLL)
      .toEqual(Array(25).fill("FAILED"));
    const filterMs = Date.now() - filtering;
    await page.getByLabel("Workflow", { exact: true }).selectOption({ label: "Bulk B" });
    await expect.poll(() => page.url(), POLL).toContain(`workflow=${bulkB}`);
    await expect.poll(() => rows.first().textContent(), POLL).toContain("Bulk B");
    await turn(/Older/, "Page 2");
    expect(await rows.count()).toBe(25);
    for (const text of await rows.allTextContents()) expect(text).toContain("Bulk B");

    // Never more than a page: every answer held at most 25 executions, the page at most 25 rows.
    // (Six asked for: pages 1-3, a filter, two pages of both filters; going back is urql's cache.)
    expect(pages.length).toBeGreaterThanOrEqual(6);
    expect(Math.max(...pages)).toBeLessThanOrEqual(25);

    // Straight to the API: a page 99,000 rows deep costs what the first one does (keyset).
    const { executions } = await ui.graphql<{ executions: { pageInfo: { endCursor: string } } }>(
      "{ executions(first: 1) { pageInfo { endCursor } } }",
    );
    const [deepId] = (await ui.database.db.$queryRawUnsafe(
      'SELECT id FROM "Execution" ORDER BY "createdAt" DESC, id DESC OFFSET 99000 LIMIT 1',
    )) as { id: string }[];
    const firstId = (await ui.database.db.$queryRawUnsafe(
      'SELECT id FROM "Execution" ORDER BY "createdAt" DESC, id DESC LIMIT 1',
    )) as { id: string }[];
    // A cursor names its row's id (Pothos's encoding): the same cursor for another row.
    const decoded = Buffer.from(executions.pageInfo.endCursor, "base64").toString();
    expect(decoded).toContain(firstId[0]?.id ?? "?");
    const cursorFor = (id: string) => Buffer.from(decoded.replace(firstId[0]?.id ?? "?", id)).toString("base64");
    const timeQuery = async (after: string) => {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        await ui.graphql("query($after: String) { executions(first: 25, after: $after) { edges { node { id } } } }", {
          after,
        });
        times.push(performance.now() - started);
      }
      return percentile(times, 0.5);
    };
    const shallow = await timeQuery(executions.pageInfo.endCursor);
    const deep = await timeQuery(cursorFor(deepId?.id ?? ""));

    console.log(
      [
        "100,000 executions:",
        `  seeded in ${ms(seedMs)} (one INSERT ... SELECT generate_series)`,
        `  list opened (navigation to the first rows) in ${ms(firstRenderMs)}; older pages in ${older.map(ms).join(", ")}, back in ${ms(newer)}; a status filter in ${ms(filterMs)}`,
        `  ${pages.length} pages asked for, at most ${Math.max(...pages)} executions each; at most 25 rows in the page`,
        `  the API's page after row 1: ${ms(shallow)}, after row 99,000: ${ms(deep)} (median of 5, over HTTP)`,
      ].join("\n"),
    );
  }, 120_000);
});
