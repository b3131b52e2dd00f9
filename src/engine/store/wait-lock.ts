/**
 * The locks that make event waits race-free. Waits are spread over
 * WAIT_SHARDS advisory locks by the key they are filed under (shard 0 holds
 * the waits without a key). Writing an event takes SHARED, before the
 * statement that numbers it (Event.seq) and looks up the waits it may
 * satisfy, shard 0 and the shard of every key a wait it can satisfy may be
 * filed under (event-keys.ts); registering a wait, and deciding which event
 * resumes one, take its shard EXCLUSIVE. So:
 *
 * - a wait registered while an event that can satisfy it is being written
 *   either sees that event (the event committed first) or is seen by it (the
 *   event's statement runs after the wait committed); never neither;
 * - whoever holds a wait's shard exclusively sees committed every event
 *   numbered so far that can satisfy it, so "the earliest matching event"
 *   (lowest seq) is decided on complete data.
 *
 * Events never wait for each other (shared), and a wait blocks only the
 * events that share its shard, for as long as it decides. Locks are taken in
 * ascending order, and always after the execution's row lock, never before,
 * so none of this can deadlock.
 */
import { Prisma } from "../../generated/prisma/client.js";
import type { WaitKey } from "../event-keys.js";
import type { Tx } from "./execution-lock.js";

/**
 * Shards of keyed waits (shard 0 is the waits without a key): many, so a wait
 * registering rarely shares a shard with the few an event in flight holds.
 */
export const WAIT_SHARDS = 1024;
/** Advisory lock keys are this plus the shard (any fixed number: "WAITS" in ASCII, shifted). */
const LOCK_BASE = 0x5741495453 * 256;

/** The shard a wait filed under `key` (or under none) belongs to. */
export function shardOf(key: WaitKey | null | undefined): number {
  if (!key) return 0;
  // FNV-1a over the path and value: stable across processes and versions, unlike any runtime hash.
  let hash = 0x811c9dc5;
  for (const char of `${key.path}\u0000${key.value}`) {
    hash ^= char.codePointAt(0) as number;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return 1 + (hash % WAIT_SHARDS);
}

/** The shards an event with these keys must hold shared (undefined keys: too many to list, so all). */
export function eventShards(keys: readonly WaitKey[] | undefined): number[] {
  if (keys === undefined) return Array.from({ length: WAIT_SHARDS + 1 }, (_, shard) => shard);
  return sorted([0, ...keys.map(shardOf)]);
}

/**
 * The opening statement of an event-writing transaction (SqlDb.transaction's
 * `opening`): trusted text, made of integers only.
 */
export function sharedWaitLocks(shards: readonly number[]): { text: string } {
  const keys = sorted(shards).map((shard) => LOCK_BASE + shard);
  return {
    text: `SELECT count(pg_advisory_xact_lock_shared(k))::text FROM unnest(ARRAY[${keys.join(",")}]::bigint[]) AS k`,
  };
}

/** Holds the shards exclusively until the transaction ends. */
export async function lockWaitsExclusively(tx: Tx, shards: readonly number[]): Promise<void> {
  if (shards.length === 0) return;
  const keys = sorted(shards).map((shard) => LOCK_BASE + shard);
  await tx.query(Prisma.sql`
    SELECT count(pg_advisory_xact_lock(k))::text FROM unnest(${keys}::bigint[]) AS k`);
}

function sorted(shards: readonly number[]): number[] {
  return [...new Set(shards)].sort((a, b) => a - b);
}
