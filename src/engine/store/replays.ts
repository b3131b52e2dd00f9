/**
 * The rows of bulk replays (engine/replays.ts): the executions a filter matches, the replay row,
 * its lease (one batch at a time), its cursor and progress. Executions are taken in (createdAt,
 * id) order through the (workflowId, createdAt) index, only those created before the replay
 * itself, so its own reruns never match and its total does not move.
 */
import type { SqlDb } from "../../db/sql.js";
import { type Execution, Prisma, type Replay } from "../../generated/prisma/client.js";
import { EXECUTION_COLUMNS } from "./execution-columns.js";

export interface ReplayFilter {
  workflowId: string;
  status?: Execution["status"] | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

const REPLAY_COLUMNS = Prisma.raw(
  `id, "workflowId", status, filter, "fromFailedStep", total, rerun, skipped, "cursorAt", "cursorId", "leaseUntil",
   "createdAt", "updatedAt", "finishedAt"`,
);

function matching(filter: ReplayFilter, createdBefore: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`e."workflowId" = ${filter.workflowId} AND e."createdAt" <= ${createdBefore}
    ${filter.status ? Prisma.sql`AND e.status = ${filter.status}::"ExecutionStatus"` : Prisma.empty}
    ${filter.from ? Prisma.sql`AND e."createdAt" >= ${filter.from}` : Prisma.empty}
    ${filter.to ? Prisma.sql`AND e."createdAt" < ${filter.to}` : Prisma.empty}`;
}

/** How many executions the filter matches now. */
export async function countMatching(sql: SqlDb, filter: ReplayFilter, now: Date): Promise<number> {
  const [row] = await sql.query<{ count: number }>(Prisma.sql`
    SELECT count(*)::int AS count FROM "Execution" e WHERE ${matching(filter, Prisma.sql`${now}`)}`);
  return row?.count ?? 0;
}

/** A replay RUNNING from now, with the number of executions it matches. */
export async function createReplay(
  sql: SqlDb,
  filter: ReplayFilter,
  fromFailedStep: boolean,
  now: Date,
): Promise<Replay> {
  const stored = {
    ...(filter.status ? { status: filter.status } : {}),
    ...(filter.from ? { from: filter.from.toISOString() } : {}),
    ...(filter.to ? { to: filter.to.toISOString() } : {}),
  };
  const [row] = await sql.query<Replay>(Prisma.sql`
    INSERT INTO "Replay" (id, "workflowId", filter, "fromFailedStep", total, "createdAt", "updatedAt")
    SELECT gen_random_uuid()::text, ${filter.workflowId}, ${JSON.stringify(stored)}::jsonb, ${fromFailedStep},
      (SELECT count(*)::int FROM "Execution" e WHERE ${matching(filter, Prisma.sql`${now}`)}), ${now}, ${now}
    RETURNING ${REPLAY_COLUMNS}`);
  return row as Replay;
}

/** Takes the replay for one batch (RUNNING, nobody else's lease); undefined otherwise. */
export async function leaseReplay(sql: SqlDb, id: string, now: Date, leaseMs: number): Promise<Replay | undefined> {
  const [row] = await sql.query<Replay>(Prisma.sql`
    UPDATE "Replay" SET "leaseUntil" = ${new Date(now.getTime() + leaseMs)}
    WHERE id = ${id} AND status = 'RUNNING' AND ("leaseUntil" IS NULL OR "leaseUntil" < ${now})
    RETURNING ${REPLAY_COLUMNS}`);
  return row;
}

/** The next executions the replay has not passed yet, at most `limit`. */
export function nextOriginals(sql: SqlDb, replay: Replay, limit: number): Promise<Execution[]> {
  const stored = replay.filter as { status?: Execution["status"]; from?: string; to?: string };
  const filter: ReplayFilter = {
    workflowId: replay.workflowId,
    status: stored.status,
    from: stored.from ? new Date(stored.from) : undefined,
    to: stored.to ? new Date(stored.to) : undefined,
  };
  const after =
    replay.cursorAt && replay.cursorId
      ? Prisma.sql`AND (e."createdAt", e.id) > (${replay.cursorAt}, ${replay.cursorId})`
      : Prisma.empty;
  return sql.query<Execution>(Prisma.sql`
    SELECT ${EXECUTION_COLUMNS} FROM "Execution" e
    WHERE ${matching(filter, Prisma.sql`${replay.createdAt}`)} ${after} AND e."replayId" IS DISTINCT FROM ${replay.id}
    ORDER BY e."createdAt", e.id LIMIT ${limit}`);
}

/**
 * After a batch: the cursor moves past `last`, `skipped` grows, `rerun` is counted from the reruns
 * written (so a batch redone after a crash counts each once), the lease ends, and with `done` the
 * replay is COMPLETED. Undefined if it was aborted meanwhile.
 */
export async function recordBatch(
  sql: SqlDb,
  id: string,
  batch: { last: Execution | undefined; skipped: number; done: boolean },
  now: Date,
): Promise<Replay | undefined> {
  const { last, skipped, done } = batch;
  const [row] = await sql.query<Replay>(Prisma.sql`
    UPDATE "Replay" SET
      rerun = (SELECT count(*)::int FROM "Execution" WHERE "replayId" = ${id}),
      skipped = skipped + ${skipped}::int,
      "cursorAt" = COALESCE(${last?.createdAt ?? null}::timestamp(3), "cursorAt"),
      "cursorId" = COALESCE(${last?.id ?? null}::text, "cursorId"),
      "leaseUntil" = NULL, "updatedAt" = ${now},
      status = CASE WHEN ${done} THEN 'COMPLETED' ELSE status END,
      "finishedAt" = CASE WHEN ${done} THEN ${now}::timestamp(3) ELSE NULL END
    WHERE id = ${id} AND status = 'RUNNING'
    RETURNING ${REPLAY_COLUMNS}`);
  return row;
}

/** RUNNING → ABORTED (no batch starts after; reruns already started go on). Undefined if not running. */
export async function abortReplay(sql: SqlDb, id: string, now: Date): Promise<Replay | undefined> {
  const [row] = await sql.query<Replay>(Prisma.sql`
    UPDATE "Replay" SET status = 'ABORTED', "finishedAt" = ${now}, "updatedAt" = ${now}
    WHERE id = ${id} AND status = 'RUNNING' RETURNING ${REPLAY_COLUMNS}`);
  return row;
}

/** Running replays no batch moved since `cutoff` and nobody holds: their next job was lost. */
export async function stalledReplays(sql: SqlDb, cutoff: Date): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(Prisma.sql`
    SELECT id FROM "Replay"
    WHERE status = 'RUNNING' AND "updatedAt" < ${cutoff} AND ("leaseUntil" IS NULL OR "leaseUntil" < ${cutoff})`);
  return rows.map((r) => r.id);
}
