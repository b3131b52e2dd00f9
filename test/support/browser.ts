/**
 * Headless Chromium for browser tests, with no way out: the system's Chromium
 * (Debian's /usr/bin/chromium, or CHROMIUM_PATH), driven by playwright-core,
 * which never downloads a browser of its own. Every request that is not to the
 * server under test is aborted and recorded, and host names other than the
 * loopback addresses do not even resolve, so a page that still needs the
 * internet shows it both ways: a recorded request, and a page that does not work.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_AVAILABLE = existsSync(CHROMIUM_PATH);

/**
 * Quiet, local-only Chromium: without the background-networking flags it
 * keeps trying Google's hosts (refused here, many at a time). No sandbox: CI
 * runs as root, where Chromium's sandbox cannot start.
 */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
];

export interface OfflineBrowser {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Every request the pages (and their workers) tried to send anywhere but `origin`, aborted. */
  readonly externalRequests: string[];
  close(): Promise<void>;
}

/** A fresh Chromium (new empty profile) whose pages may reach `origin` and nothing else. */
export async function launchOfflineBrowser(origin: string): Promise<OfflineBrowser> {
  const userDataDir = await mkdtemp(path.join(tmpdir(), "wf-chromium-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      serviceWorkers: "block",
    });
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }
  const externalRequests: string[] = [];
  const ownOrigin = new URL(origin).origin;
  await context.route("**/*", async (route) => {
    const url = route.request().url();
    if (new URL(url).origin === ownOrigin) return route.continue();
    externalRequests.push(url);
    return route.abort("internetdisconnected");
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    page,
    context,
    externalRequests,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
