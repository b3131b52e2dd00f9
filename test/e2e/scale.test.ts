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
});
