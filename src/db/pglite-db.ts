/**
 * Embedded PostgreSQL for the one-command mode: PGlite (PostgreSQL compiled to
 * WebAssembly) in this process, with its data in a directory, behind the same
 * Prisma client as production. The committed migration SQL is applied directly,
 * once each, recorded in a small ledger table.
 */
import { mkdirSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "../generated/prisma/client.js";
import type { Db } from "./client.js";

const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../prisma/migrations");

export interface EmbeddedDatabase {
  db: Db;
  pglite: PGlite;
  close(): Promise<void>;
}

/** Opens (or creates) the database in `dataDir`; "memory://" keeps it in memory. */
export async function openEmbeddedDatabase(dataDir: string): Promise<EmbeddedDatabase> {
  if (!dataDir.startsWith("memory://")) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  await applyMigrations(pglite);
  const db = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    db,
    pglite,
    async close() {
      await db.$disconnect();
      await pglite.close();
    },
  };
}

/** Applies every committed migration not yet in the ledger, each in its own transaction. */
export async function applyMigrations(pglite: PGlite): Promise<string[]> {
  await pglite.exec(`CREATE TABLE IF NOT EXISTS "_embedded_migrations" (
    name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
  const done = new Set(
    (await pglite.query<{ name: string }>(`SELECT name FROM "_embedded_migrations"`)).rows.map((r) => r.name),
  );
  const entries = await readdir(MIGRATIONS_DIR, { withFileTypes: true });
  const pending = entries
    .filter((e) => e.isDirectory() && !done.has(e.name))
    .map((e) => e.name)
    .sort();
  for (const name of pending) {
    const sql = await readFile(path.join(MIGRATIONS_DIR, name, "migration.sql"), "utf8");
    await pglite.transaction(async (tx) => {
      await tx.exec(sql);
      await tx.query(`INSERT INTO "_embedded_migrations" (name) VALUES ($1)`, [name]);
    });
  }
  return pending;
}
