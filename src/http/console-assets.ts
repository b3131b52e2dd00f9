/**
 * The web console (web/, a React app on the public GraphQL API), served from
 * its prebuilt files in web/build/: the page at `/` and its assets at
 * `/console/<file>`. Both are open without an API key (they hold no data; the
 * app asks for a key when the API refuses it), so they are mounted before the
 * key check. Files are read once, on the first request, and kept with their
 * gzipped copy; the assets' names carry a content hash, so browsers may keep
 * them for good, while the page itself is always revalidated.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";

/** web/build, from src/http (tsx) or dist/http (compiled): two levels up either way. */
export const CONSOLE_BUILD_DIR = fileURLToPath(new URL("../../web/build/", import.meta.url));

/** Where the assets are served (the build's assetsDir). */
export const CONSOLE_ASSETS_PATH = "/console";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".json": "application/json",
};

interface ConsoleFile {
  plain: Uint8Array<ArrayBuffer>;
  gzip: Uint8Array<ArrayBuffer>;
  contentType: string;
}

type ConsoleFiles = Map<string, ConsoleFile>;

async function loadFiles(dir: string): Promise<ConsoleFiles> {
  const files: ConsoleFiles = new Map();
  const load = async (name: string) => {
    const plain = new Uint8Array(await readFile(path.join(dir, name)));
    files.set(name, {
      plain,
      gzip: new Uint8Array(gzipSync(plain)),
      contentType: CONTENT_TYPES[path.extname(name)] ?? "application/octet-stream",
    });
  };
  await load("index.html");
  const assets = await readdir(path.join(dir, "console")).catch(() => []);
  await Promise.all(assets.map((name) => load(`console/${name}`)));
  return files;
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Workflow console</title></head>
<body><h1>The console is not built</h1><p>web/build/ is missing: run <code>npm run build:web</code>.
GraphiQL is at <a href="/graphql">/graphql</a>, the REST docs at <a href="/docs">/docs</a>.</p></body></html>`;

/** Mounts `/` and `/console/*`; call before the API key check. */
export function mountConsole(app: OpenAPIHono, dir: string = CONSOLE_BUILD_DIR): void {
  let files: Promise<ConsoleFiles | undefined> | undefined;
  const getFiles = () => {
    files ??= loadFiles(dir).catch(() => undefined);
    return files;
  };
  const send = (c: Context, file: ConsoleFile, cacheControl: string) => {
    c.header("content-type", file.contentType);
    c.header("cache-control", cacheControl);
    c.header("vary", "accept-encoding");
    c.header("x-content-type-options", "nosniff");
    if (/\bgzip\b/.test(c.req.header("accept-encoding") ?? "")) {
      c.header("content-encoding", "gzip");
      return c.body(file.gzip, 200);
    }
    return c.body(file.plain, 200);
  };

  app.get("/", async (c) => {
    const loaded = await getFiles();
    const page = loaded?.get("index.html");
    if (!page) return c.html(NOT_BUILT, 503, { "cache-control": "no-store" });
    return send(c, page, "no-cache");
  });
  app.get(`${CONSOLE_ASSETS_PATH}/:file`, async (c) => {
    const file = (await getFiles())?.get(`console/${c.req.param("file")}`);
    if (!file) return c.json({ detail: "Not Found" }, 404);
    return send(c, file, "public, max-age=31536000, immutable");
  });
}
