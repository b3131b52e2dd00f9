// @ts-check
/**
 * PostgreSQL plumbing for the schema-engine stand-in: the driver adapter the
 * WebAssembly engine talks through, and the one-shot database commands.
 */
import { randomUUID } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";

/** PostgreSQL type OIDs of catalog columns adapter-pg cannot deserialize. */
const CATALOG_TEXT_OIDS = new Set([
  18, // "char" (e.g. pg_class.relkind, pg_constraint.contype)
  19, // name
]);
const TEXT_OID = 25;

/**
 * Introspection reads pg_catalog, whose `name` and `"char"` columns adapter-pg
 * rejects as unsupported types. node-postgres already returns both as strings,
 * so relabelling the column type as text is all that is needed.
 */
class CatalogFriendlyClient extends pg.Client {
  /**
   * Forwards every overload of pg.Client#query unchanged.
   * @param {unknown[]} args
   * @returns {any} whatever the overload returns
   * @override
   */
  query(...args) {
    // pg-pool calls with a trailing callback; direct callers get a promise.
    const last = args.length - 1;
    if (typeof args[last] === "function") {
      const callback = /** @type {(err: Error | null, res?: pg.QueryResult) => void} */ (args[last]);
      args[last] = (/** @type {Error | null} */ err, /** @type {pg.QueryResult} */ res) =>
        callback(err, res && relabel(res));
    }
    /** @type {any} */
    // @ts-expect-error -- the spread matches one of the overloads at run time
    const result = super.query(...args);
    return result && typeof result.then === "function" ? result.then(relabel) : result;
  }
}

/** @param {pg.QueryResult} res */
function relabel(res) {
  for (const field of res.fields ?? []) {
    if (CATALOG_TEXT_OIDS.has(field.dataTypeID)) field.dataTypeID = TEXT_OID;
  }
  return res;
}

/**
 * Discrete connection settings. adapter-pg's shadow-database helper spreads its
 * config and overrides `database`; with a `connectionString` that override is
 * silently ignored and the "shadow" pool points at the main database.
 * @param {string} url
 * @returns {pg.PoolConfig}
 */
export function poolConfigFromUrl(url) {
  const u = new URL(url);
  return {
    host: decodeURIComponent(u.hostname) || "localhost",
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username) || undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database: decodeURIComponent(u.pathname.replace(/^\//, "")) || "postgres",
    max: 4,
    Client: CatalogFriendlyClient,
  };
}

/** @param {string} name */
const quoteIdent = (name) => `"${name.replaceAll('"', '""')}"`;

/**
 * A migration-aware adapter factory whose shadow database is created on the
 * same server and dropped only after its pool is closed (PostgreSQL refuses to
 * drop a database with open connections, which adapter-pg's helper attempts).
 * @param {string} url @param {string | undefined} shadowUrl
 */
export function createPgAdapterFactory(url, shadowUrl) {
  const config = poolConfigFromUrl(url);
  const main = new PrismaPg(config);
  return {
    provider: /** @type {const} */ ("postgres"),
    adapterName: main.adapterName,
    connect: () => main.connect(),
    async connectToShadowDb() {
      if (shadowUrl) return new PrismaPg(poolConfigFromUrl(shadowUrl)).connect();
      const database = `prisma_shadow_${randomUUID().replaceAll("-", "")}`;
      const { Client: _unused, ...clientConfig } = config;
      const admin = new pg.Client(clientConfig);
      await admin.connect();
      await admin.query(`CREATE DATABASE ${quoteIdent(database)}`);
      const shadow = await new PrismaPg({ ...config, database }).connect();
      const disposeShadow = shadow.dispose.bind(shadow);
      shadow.dispose = async () => {
        await disposeShadow();
        try {
          await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)}`);
        } finally {
          await admin.end();
        }
      };
      return shadow;
    },
  };
}

/**
 * `schema-engine cli <command>`: connect, create or drop the database of `url`.
 * Errors carry the Prisma error code the CLI shows (P1001 unreachable, P1003 missing).
 * @param {string} command @param {string} url
 */
export async function runDatabaseCommand(command, url) {
  const config = poolConfigFromUrl(url);
  const target = /** @type {string} */ (config.database);
  if (command === "can-connect-to-database") {
    await withClient(config, async () => {});
    return;
  }
  if (command !== "create-database" && command !== "drop-database") {
    throw Object.assign(new Error(`unknown command ${command}`), { errorCode: "P1000" });
  }
  // CREATE/DROP DATABASE must run from another database on the same server.
  await withClient({ ...config, database: "postgres" }, async (client) => {
    const sql = command === "create-database" ? "CREATE DATABASE" : "DROP DATABASE IF EXISTS";
    await client.query(`${sql} ${quoteIdent(target)}`);
  });
}

/**
 * @param {pg.ClientConfig} config
 * @param {(client: pg.Client) => Promise<void>} work
 */
async function withClient(config, work) {
  const client = new pg.Client(config);
  try {
    await client.connect();
  } catch (error) {
    const e = /** @type {Error & { code?: string }} */ (error);
    const errorCode = e.code === "3D000" ? "P1003" : "P1001";
    throw Object.assign(new Error(`Can't reach database ${config.database}: ${e.message}`), { errorCode });
  }
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
