/**
 * What /readyz asks of the database: that it answers, and that it holds the
 * engine's schema. A server pointed at a database nobody migrated answered
 * every request that touched a table with a masked 500 ("relation does not
 * exist" in its log) while /readyz said ready.
 */
import type { Db } from "./client.js";

export async function databaseReadiness(db: Pick<Db, "$queryRaw">): Promise<{ database: boolean; schema: boolean }> {
  const database = await db.$queryRaw`SELECT 1`.then(
    () => true,
    () => false,
  );
  if (!database) return { database, schema: false };
  // LIMIT 0 reads no rows: it only needs the tables to exist (the first migration's and the latest
  // table's; a database migrated part of the way is not told apart).
  const schema = await db.$queryRaw`SELECT 1 FROM "Workflow", "ExecutionChange" LIMIT 0`.then(
    () => true,
    () => false,
  );
  return { database, schema };
}
