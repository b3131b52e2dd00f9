#!/usr/bin/env node
// @ts-check
/**
 * Offline stand-in for Prisma's native `schema-engine` binary.
 *
 * Why: the Prisma CLI downloads a native schema engine on first use, and these
 * machines (and many users' CI) have no route to the download host. Prisma
 * publishes the same engine compiled to WebAssembly on npm
 * (`@prisma/schema-engine-wasm`, pinned to the engine hash of our `prisma`
 * version). The CLI runs whatever executable `PRISMA_SCHEMA_ENGINE_BINARY`
 * names (set by prisma.config.ts), so this script plays that executable:
 *
 *   schema-engine [--datamodels FILE]... [--datasource JSON] cli <command>
 *       one-shot database commands: can-connect-to-database, create-database,
 *       drop-database. Errors go to stderr as the JSON log lines the CLI parses.
 *   schema-engine [--datamodels FILE]... [--datasource JSON]
 *       newline-delimited JSON-RPC 2.0 over stdin/stdout, each call forwarded to
 *       the WebAssembly engine, which reaches PostgreSQL through @prisma/adapter-pg.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import { createPgAdapterFactory, runDatabaseCommand } from "./pg-adapter.mjs";

const require = createRequire(import.meta.url);

/** @param {string[]} argv */
function parseArgs(argv) {
  /** @type {{ datamodels: string[], datasource: { url?: string, shadowDatabaseUrl?: string }, cli?: string }} */
  const args = { datamodels: [], datasource: {} };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--datamodels") args.datamodels.push(argv[++i] ?? "");
    else if (flag === "--datasource") args.datasource = JSON.parse(argv[++i] ?? "{}");
    else if (flag === "cli") args.cli = argv[++i];
    else if (flag === "--enabled-preview-features" || flag === "--extension-types") i++;
    else if (flag === "--version" || flag === "-V") args.cli = "version";
  }
  return args;
}

/**
 * The URL the CLI passes, or else the one prisma.config.ts resolved into the
 * environment (`migrate diff --from-migrations` starts us without a datasource).
 * @param {{ url?: string }} datasource
 */
function resolveUrl(datasource) {
  const url = datasource.url ?? process.env.PRISMA_STANDIN_DATABASE_URL;
  if (!url) throw new Error("schema-engine stand-in: no database URL (set DATABASE_URL)");
  return url;
}

/**
 * The CLI reads stderr of one-shot commands as JSON log lines and skips the first
 * line, so a leading info line is written before the error line it looks for.
 * @param {string} errorCode @param {string} message
 */
function reportCliError(errorCode, message) {
  const line = (/** @type {object} */ fields, /** @type {string} */ level) =>
    process.stderr.write(`${JSON.stringify({ level, target: "schema_engine::logger", fields })}\n`);
  line({ message: "schema-engine stand-in" }, "INFO");
  line({ error_code: errorCode, message }, "ERROR");
}

/** Node 20 cannot `import` a .wasm file, so the module is instantiated by hand. */
async function loadWasmEngine() {
  const runtime = await import("@prisma/schema-engine-wasm/schema_engine_bg");
  // The package exports only its JS entry points; the .wasm file sits beside them.
  const wasmPath = join(dirname(require.resolve("@prisma/schema-engine-wasm")), "schema_engine_bg.wasm");
  // @types/node does not declare the WebAssembly global; describe the two members used.
  /** @type {{ Module: new (bytes: Buffer) => object, Instance: new (m: object, imports: object) => { exports: Record<string, unknown> } }} */
  const wasm = /** @type {any} */ (globalThis).WebAssembly;
  const instance = new wasm.Instance(new wasm.Module(readFileSync(wasmPath)), {
    // wasm-bindgen's "bundler" target imports its glue under this specifier.
    "./schema_engine_bg.js": runtime,
  });
  runtime.__wbg_set_wasm(instance.exports);
  /** @type {() => void} */ (instance.exports.__wbindgen_start)();
  return runtime.SchemaEngine;
}

/**
 * The CLI calls `getDatabaseVersion`; the WebAssembly engine names it `version`.
 * @type {Record<string, string>}
 */
const METHOD_ALIASES = { getDatabaseVersion: "version" };

/**
 * Turns an engine failure into the JSON-RPC error shape the CLI understands:
 * `data.error_code` + `data.message` become a Prisma "P…" error for the user.
 * @param {unknown} error
 */
function toRpcError(error) {
  const e = /** @type {Error & { code?: string }} */ (error);
  return {
    code: 4466,
    message: "An error happened. Check the data field for details.",
    data: { is_panic: false, message: e.message ?? String(error), error_code: e.code, meta: {} },
  };
}

/** @param {ReturnType<typeof parseArgs>} args */
async function serveRpc(args) {
  const url = resolveUrl(args.datasource);
  const factory = bindMigrationAwareSqlAdapterFactory(createPgAdapterFactory(url, args.datasource.shadowDatabaseUrl));
  const SchemaEngine = await loadWasmEngine();
  const datamodels = args.datamodels.map(
    (path) => /** @type {[string, string]} */ ([path, readFileSync(path, "utf8")]),
  );
  // The engine logs JSON lines in the native engine's format; the CLI reads them from stderr.
  const debug = (/** @type {string} */ line) => process.stderr.write(line.endsWith("\n") ? line : `${line}\n`);
  const engine = await SchemaEngine.new({ datamodels: datamodels.length ? datamodels : undefined }, debug, factory);
  const send = (/** @type {object} */ message) => process.stdout.write(`${JSON.stringify(message)}\n`);
  let printId = 1_000_000;

  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const request = JSON.parse(line);
    // Replies from the CLI (e.g. acknowledging a `print`) carry no method.
    if (typeof request.method !== "string") continue;
    const method = METHOD_ALIASES[request.method] ?? request.method;
    try {
      const call = /** @type {Record<string, (p: unknown) => Promise<unknown>>} */ (/** @type {unknown} */ (engine))[
        method
      ];
      if (typeof call !== "function") throw new Error(`schema-engine stand-in: unknown method ${request.method}`);
      // Called on the engine itself: detaching the method loses wasm-bindgen's `this`.
      const result = /** @type {Record<string, unknown> | undefined} */ (await call.call(engine, request.params));
      // The native engine prints diff scripts through a `print` request; the
      // WebAssembly one returns them in `stdout` instead.
      if (result && typeof result.stdout === "string") {
        const { stdout, ...rest } = result;
        if (stdout)
          send({ jsonrpc: "2.0", id: printId++, method: "print", params: { content: stdout.replace(/\n$/, "") } });
        send({ jsonrpc: "2.0", id: request.id, result: rest });
      } else {
        send({ jsonrpc: "2.0", id: request.id, result: result ?? null });
      }
    } catch (error) {
      send({ jsonrpc: "2.0", id: request.id, error: toRpcError(error) });
    }
  }
  engine.free();
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.cli === "version") {
    process.stdout.write("schema-engine-wasm-standin 1.0.0\n");
    return;
  }
  if (args.cli) {
    try {
      await runDatabaseCommand(args.cli, resolveUrl(args.datasource));
    } catch (error) {
      const e = /** @type {Error & { errorCode?: string }} */ (error);
      reportCliError(e.errorCode ?? "P1001", e.message);
      process.exitCode = 1;
    }
    return;
  }
  await serveRpc(args);
}

await main();
