/**
 * Applies the committed migration SQL files, in order, to a database. Tests use
 * it to build their template database quickly; CI separately runs the real
 * `prisma migrate deploy` and the drift check against a fresh database.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../prisma/migrations");

export async function applyMigrations(databaseUrl: string): Promise<string[]> {
  const entries = await readdir(MIGRATIONS_DIR, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const name of names) {
      await client.query(await readFile(path.join(MIGRATIONS_DIR, name, "migration.sql"), "utf8"));
    }
  } finally {
    await client.end();
  }
  return names;
}
