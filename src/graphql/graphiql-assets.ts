/**
 * GraphiQL's files, served by this server from the installed
 * @graphql-yoga/render-graphiql package (yoga's own page loads them from a
 * public CDN, so it is blank on a machine without internet).
 *
 * The package holds everything (script, stylesheet with its fonts inlined, the
 * three Monaco editor workers, favicon) as JavaScript strings in one 9 MB
 * module. Evaluating that module takes about 400 ms of a thread and 45 MB of
 * heap, so it is read once, on the first request for a GraphiQL file, in a
 * short-lived worker thread that hands back the files as bytes (and gzipped):
 * the event loop never stalls on it, and a server that nobody opens GraphiQL
 * on never loads it. URLs carry the package's version, so browsers may keep
 * the files for good.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";

const require = createRequire(import.meta.url);

/** Where the files are served: /graphiql/<package version>/<file>. */
export const GRAPHIQL_ASSETS_PATH = "/graphiql";

const { version: PACKAGE_VERSION } = require("@graphql-yoga/render-graphiql/package.json") as { version: string };

/** The file names the page refers to, and what each one is in the package. */
export const GRAPHIQL_FILES = {
  "graphiql.js": { bundleExport: "js", contentType: "text/javascript; charset=utf-8" },
  "graphiql.css": { bundleExport: "css", contentType: "text/css; charset=utf-8" },
  "editor.worker.js": { bundleExport: "editorWorkerService", contentType: "text/javascript; charset=utf-8" },
  "json.worker.js": { bundleExport: "jsonWorker", contentType: "text/javascript; charset=utf-8" },
  "graphql.worker.js": { bundleExport: "graphqlWorker", contentType: "text/javascript; charset=utf-8" },
  // A data: URL in the package: served decoded, so the page does not carry 150 KB of base64.
  "favicon.ico": { bundleExport: "favicon", contentType: "image/x-icon" },
} as const;

export type GraphiQLFile = keyof typeof GRAPHIQL_FILES;

/** The URL of one of GraphiQL's files. */
export function graphiqlAssetUrl(file: GraphiQLFile): string {
  return `${GRAPHIQL_ASSETS_PATH}/${PACKAGE_VERSION}/${file}`;
}

interface LoadedFile {
  plain: Uint8Array<ArrayBuffer>;
  gzip: Uint8Array<ArrayBuffer>;
}

type LoadedFiles = Record<GraphiQLFile, LoadedFile>;

/**
 * Runs in the worker thread (plain CommonJS: the same code under tsx, vitest
 * and the compiled server). Reads the bundle, turns each export into bytes
 * (decoding the data: URL), gzips it, and sends the buffers back without copying.
 */
const EXTRACT_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { gzipSync } = require("node:zlib");
const bundle = require(workerData.bundlePath);
const files = {};
const transfer = [];
for (const [file, name] of Object.entries(workerData.exports)) {
  const text = bundle[name];
  if (typeof text !== "string") throw new Error("the GraphiQL bundle has no export " + name);
  const base64 = /^data:[^;,]*;base64,/.exec(text);
  const plain = new Uint8Array(base64 ? Buffer.from(text.slice(base64[0].length), "base64") : Buffer.from(text, "utf8"));
  const gzip = new Uint8Array(gzipSync(plain));
  files[file] = { plain, gzip };
  transfer.push(plain.buffer, gzip.buffer);
}
parentPort.postMessage(files, transfer);
`;

function extractFiles(): Promise<LoadedFiles> {
  const exports = Object.fromEntries(Object.entries(GRAPHIQL_FILES).map(([file, f]) => [file, f.bundleExport]));
  const worker = new Worker(EXTRACT_SOURCE, {
    eval: true,
    workerData: { bundlePath: require.resolve("@graphql-yoga/render-graphiql/graphiql"), exports },
  });
  return new Promise<LoadedFiles>((resolve, reject) => {
    worker.once("message", (files: LoadedFiles) => resolve(files));
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the GraphiQL bundle could not be read (worker exit ${code})`)));
  });
}

let loading: Promise<LoadedFiles> | undefined;

/** The files, read on first use; a failed read is tried again by the next request. */
function graphiqlFiles(): Promise<LoadedFiles> {
  loading ??= extractFiles().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

/** True when the client takes gzip (Accept-Encoding: gzip, not with q=0). */
function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  return acceptEncoding.split(",").some((entry) => {
    const [coding, ...params] = entry.trim().toLowerCase().split(";");
    if (coding !== "gzip" && coding !== "*") return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

function isGraphiQLFile(name: string): name is GraphiQLFile {
  return Object.hasOwn(GRAPHIQL_FILES, name);
}

async function serveFile(c: Context): Promise<Response> {
  const name = c.req.param("file") ?? "";
  if (c.req.param("version") !== PACKAGE_VERSION || !isGraphiQLFile(name)) {
    return c.json({ detail: "Not Found" }, 404);
  }
  const file = (await graphiqlFiles())[name];
  const gzip = acceptsGzip(c.req.header("accept-encoding"));
  const body = gzip ? file.gzip : file.plain;
  return c.body(body, 200, {
    "content-type": GRAPHIQL_FILES[name].contentType,
    "content-length": String(body.byteLength),
    ...(gzip ? { "content-encoding": "gzip" } : {}),
    vary: "accept-encoding",
    // The version is in the URL: a new package gets new URLs.
    "cache-control": "public, max-age=31536000, immutable",
    "x-content-type-options": "nosniff",
  });
}

/** GET /graphiql/<version>/<file>: GraphiQL's files, from the installed package. */
export function mountGraphiQLAssets(app: OpenAPIHono): void {
  app.get(`${GRAPHIQL_ASSETS_PATH}/:version/:file`, serveFile);
}
