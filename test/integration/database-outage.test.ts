/**
 * PostgreSQL going away and coming back, through a TCP proxy we can cut
 * (the shared server itself is never restarted): idle connections dying do
 * not crash the process, and statements and transactions sent while it is
 * unreachable wait for it (within the retry budget) instead of failing.
 */
import { createServer, type Server, Socket } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client.js";
import { createDatabase } from "../../src/db/database.js";
import { Prisma } from "../../src/generated/prisma/client.js";
import { useTestDatabase } from "../support/database.js";
import { freePort } from "../support/ports.js";

const database = useTestDatabase();

/** Forwards a local port to PostgreSQL; down() refuses connections and cuts every open one. */
class CuttableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("error", () => {});
        socket.on("close", () => this.sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const proxies: CuttableProxy[] = [];
afterAll(async () => {
  for (const proxy of proxies) await proxy.down();
});

/** A proxy in front of this file's database, up, and the database URL through it. */
async function proxied(): Promise<{ url: string; proxy: CuttableProxy }> {
  const target = new URL(database.url);
  const proxy = new CuttableProxy(await freePort(), { host: target.hostname, port: Number(target.port || 5432) });
  proxies.push(proxy);
  await proxy.up();
  const viaProxy = new URL(database.url);
  viaProxy.port = String(proxy.port);
  return { url: viaProxy.toString(), proxy };
}

describe("a PostgreSQL outage", () => {
  it("is ridden out: idle connections dying are harmless, work sent meanwhile waits for the server", async () => {
    const { url, proxy } = await proxied();
    const db = createDb(url, { poolSize: 3, connectRetryMs: 5_000 });
    try {
      // Fill the pool with idle connections, then cut them all and refuse new ones.
      await Promise.all([1, 2, 3].map(() => db.$queryRaw`SELECT pg_sleep(0.02)::text`));
      await proxy.down();

      const started = Date.now();
      const query = db.$queryRaw<{ n: number }[]>`SELECT 1::int AS n`;
      const transaction = db.$transaction(async (tx) => tx.$queryRaw<{ n: number }[]>`SELECT 2::int AS n`);
      await new Promise((resolve) => setTimeout(resolve, 400));
      await proxy.up();

      expect(await query).toEqual([{ n: 1 }]);
      expect(await transaction).toEqual([{ n: 2 }]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    } finally {
      await db.$disconnect();
    }
  });

  it("on the engine's SQL path: a connection lost mid-transaction fails that transaction only, and later work waits for the server", async () => {
    const { url, proxy: cut } = await proxied();
    const { sql, close } = createDatabase(url, { poolSize: 2, connectRetryMs: 5_000 });
    try {
      // The connection dies while checked out, between two statements: no unhandled 'error' (it crashed the process).
      const transaction = sql.transaction(async (tx) => {
        await tx.query(Prisma.sql`SELECT 1`);
        await cut.down();
        await new Promise((resolve) => setTimeout(resolve, 100));
        return tx.query(Prisma.sql`SELECT 2`);
      });
      await expect(transaction).rejects.toThrow();

      const query = sql.query<{ n: number }>(Prisma.sql`SELECT 3::int AS n`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await cut.up();
      expect(await query).toEqual([{ n: 3 }]);
    } finally {
      await close();
    }
  });
});
