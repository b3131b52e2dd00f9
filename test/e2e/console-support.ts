/**
 * For the console's end-to-end tests: a real engine (production mode: its
 * own PostgreSQL database, the real Redis, a worker) served on a port that
 * can be closed and opened again (a server restart, as the page sees it),
 * Debian's Chromium through playwright-core, GraphQL over HTTP for setting
 * things up, and screenshots into test-results/console/.
 */
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import { listen, type RunningServer } from "../../src/listen.js";
import { launchOfflineBrowser, type OfflineBrowser } from "../support/browser.js";
import { type TestDatabase, useTestDatabase } from "../support/database.js";
import { startTestEngine, type TestEngine } from "../support/engine.js";

export const SCREENSHOT_DIR = path.resolve("test-results", "console");

/** Generous: CI runs the whole suite on two cores beside the browser. */
export const UI_TIMEOUT = 20_000;

/** For expect.poll (whose own default gives up after a second). */
export const POLL = { timeout: UI_TIMEOUT, interval: 100 };

export interface ConsoleHarness {
  readonly engine: TestEngine;
  /** This file's own database (for seeding rows in bulk). */
  readonly database: TestDatabase;
  readonly origin: string;
  readonly browser: OfflineBrowser;
  readonly page: Page;
  /** Closes the HTTP server (every socket drops) and opens it again on the same port after `downMs`. */
  restartServer(downMs: number): Promise<void>;
  /**
   * Stops the whole engine, HTTP server and worker (running steps finish, every connection
   * closes; the queue in Redis and the database stay), then after `downMs` starts a new one
   * with the same configuration on the same port: a process restart, as the page sees it.
   */
  restartEngine(downMs: number): Promise<void>;
  graphql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** The whole page (or only the window, for pages too long to be worth keeping whole). */
  screenshot(name: string, options?: { fullPage?: boolean }): Promise<void>;
}

export function useConsole(options: { overrides?: Record<string, string>; apiKey?: string } = {}): ConsoleHarness {
  const database = useTestDatabase();
  let engine: TestEngine | undefined;
  let server: RunningServer | undefined;
  let browser: OfflineBrowser | undefined;
  let port = 0;

  beforeAll(async () => {
    engine = await startTestEngine(database.url, { worker: true, overrides: options.overrides });
    server = await listen(engine, 0, "127.0.0.1");
    port = server.port;
    browser = await launchOfflineBrowser(`http://127.0.0.1:${port}`);
    browser.page.setDefaultTimeout(UI_TIMEOUT);
    await mkdir(SCREENSHOT_DIR, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await engine?.stop();
  }, 30_000);

  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} starts in beforeAll`);
    return value;
  };
  return {
    get engine() {
      return need(engine, "the engine");
    },
    get database() {
      return database;
    },
    get origin() {
      return `http://127.0.0.1:${port}`;
    },
    get browser() {
      return need(browser, "the browser");
    },
    get page() {
      return need(browser, "the browser").page;
    },
    async restartServer(downMs: number) {
      await need(server, "the server").close();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      server = await listen(need(engine, "the engine"), port, "127.0.0.1");
    },
    async restartEngine(downMs: number) {
      const old = need(engine, "the engine");
      await need(server, "the server").close();
      // Deps.close, not TestEngine.stop: that also deletes the queue's keys.
      await old.close();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      engine = await startTestEngine(database.url, { worker: true, config: old.config });
      server = await listen(engine, port, "127.0.0.1");
    },
    async graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
      if (body.errors?.length || !body.data) throw new Error(`GraphQL: ${JSON.stringify(body.errors)}`);
      return body.data;
    },
    async screenshot(name: string, { fullPage = true }: { fullPage?: boolean } = {}) {
      await need(browser, "the browser").page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage });
    },
  };
}

/** What went over the page's WebSockets for `executionUpdated`: every subscribe's afterSeq, every seq received, in order. */
export interface ExecutionFrames {
  events: ({ kind: "subscribe"; afterSeq: number | null } | { kind: "seq"; seq: number; status: string })[];
}

/** Records the page's executionUpdated traffic (Playwright sees every frame of every socket the page opens). */
export function recordExecutionFrames(page: Page): ExecutionFrames {
  const frames: ExecutionFrames = { events: [] };
  page.on("websocket", (socket) => {
    socket.on("framesent", ({ payload }) => {
      const message = JSON.parse(String(payload)) as {
        type?: string;
        payload?: { query?: string; variables?: { afterSeq?: number | null } };
      };
      if (message.type === "subscribe" && message.payload?.query?.includes("executionUpdated")) {
        frames.events.push({ kind: "subscribe", afterSeq: message.payload.variables?.afterSeq ?? null });
      }
    });
    socket.on("framereceived", ({ payload }) => {
      const message = JSON.parse(String(payload)) as {
        type?: string;
        payload?: { data?: { executionUpdated?: { seq: number; status: string } } };
      };
      const update = message.type === "next" ? message.payload?.data?.executionUpdated : undefined;
      if (update) frames.events.push({ kind: "seq", seq: update.seq, status: update.status });
    });
  });
  return frames;
}

/** The status a node of the console's graph shows. */
export function nodeStatus(page: Page, nodeId: string): Promise<string | null> {
  return page.locator(`[data-testid="node-${nodeId}"]`).getAttribute("data-status");
}

/** Every status each graph node has shown since this was called, in order (a MutationObserver in the page). */
export async function recordNodeStatuses(page: Page): Promise<() => Promise<Record<string, string[]>>> {
  await page.evaluate(() => {
    const seen: Record<string, string[]> = {};
    const note = (element: Element) => {
      const id = element.getAttribute("data-testid")?.replace(/^node-/, "");
      const status = element.getAttribute("data-status");
      if (!id || !status) return;
      const list = seen[id] ?? [];
      seen[id] = list;
      if (list.at(-1) !== status) list.push(status);
    };
    for (const element of document.querySelectorAll("[data-testid^='node-']")) note(element);
    new MutationObserver((records) => {
      for (const record of records) {
        if (record.type === "attributes" && record.target instanceof Element) note(record.target);
        for (const added of record.addedNodes) {
          if (added instanceof Element) {
            if (added.matches("[data-testid^='node-']")) note(added);
            for (const element of added.querySelectorAll("[data-testid^='node-']")) note(element);
          }
        }
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"] });
    (window as unknown as { __nodeStatuses: typeof seen }).__nodeStatuses = seen;
  });
  return () => page.evaluate(() => (window as unknown as { __nodeStatuses: Record<string, string[]> }).__nodeStatuses);
}

/**
 * Drags an edge from one node's source handle to another's target handle.
 * The canvas may still be moving (it fits every node in view after one is
 * added), so the handles are read once they stand still, and a drag that
 * drew nothing (the canvas moved under it) is made again.
 */
export async function drawEdge(page: Page, from: string, to: string): Promise<void> {
  const edges = page.locator(".react-flow__edge");
  const before = await edges.count();
  for (let attempt = 1; ; attempt++) {
    const source = await steadyCenter(page.locator(`[data-testid="node-${from}"] .react-flow__handle.source`));
    const target = await steadyCenter(page.locator(`[data-testid="node-${to}"] .react-flow__handle.target`));
    await page.mouse.move(source.x, source.y);
    await page.mouse.down();
    await page.mouse.move((source.x + target.x) / 2, (source.y + target.y) / 2, { steps: 5 });
    await page.mouse.move(target.x, target.y, { steps: 5 });
    await page.mouse.up();
    const drawn = await expect
      .poll(() => edges.count(), { timeout: 2_000 })
      .toBeGreaterThan(before)
      .then(
        () => true,
        () => false,
      );
    if (drawn) return;
    if (attempt === 3) throw new Error(`no edge ${from} → ${to} after ${attempt} drags`);
  }
}

/** The center of an element once two readings 50 ms apart agree (it is not being moved). */
async function steadyCenter(locator: Locator): Promise<{ x: number; y: number }> {
  const center = async () => {
    const box = await locator.boundingBox();
    if (!box) throw new Error(`not on screen: ${locator}`);
    return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  };
  let last = await center();
  for (let reading = 0; reading < 40; reading++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = await center();
    if (Math.abs(now.x - last.x) < 0.5 && Math.abs(now.y - last.y) < 0.5) return now;
    last = now;
  }
  return last;
}

export async function expectNodeStatus(page: Page, nodeId: string, status: string, timeout = UI_TIMEOUT) {
  await expect.poll(() => nodeStatus(page, nodeId), { timeout }).toBe(status);
}

const AXE_PATH = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** axe-core's serious and critical violations on the page as it is. */
export async function seriousViolations(page: Page): Promise<string[]> {
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
