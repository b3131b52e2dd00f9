/**
 * The one lock that makes event waits race-free. Writing an event takes it
 * SHARED before the statement that numbers the event (Event.seq) and looks up
 * the waits it may satisfy; registering a wait, and deciding which event
 * resumes one, take it EXCLUSIVE. So:
 *
 * - a wait registered while an event is being written either sees that event
 *   (the event committed first) or is seen by it (the event's statement runs
 *   after the wait committed); never neither;
 * - whoever holds it exclusively sees every event numbered so far committed,
 *   so "the earliest matching event" (lowest seq) is decided on complete data.
 *
 * Events never wait for each other (shared), and a transaction holds the
 * exclusive lock only while it decides; always after its execution's row
 * lock, never before, so the two cannot deadlock.
 */
import { Prisma } from "../../generated/prisma/client.js";
import type { Tx } from "./execution-lock.js";

/** Any fixed number: the key of the advisory lock ("WAITS" in ASCII). */
const EVENT_WAITS_LOCK = 0x5741495453;

/** Opens an event-writing transaction (see SqlDb.transaction's opening statement). */
export const SHARED_WAIT_LOCK = { text: `SELECT pg_advisory_xact_lock_shared(${EVENT_WAITS_LOCK})::text` };

/** Held until the transaction ends. */
export async function lockWaitsExclusively(tx: Tx): Promise<void> {
  await tx.query(Prisma.sql`SELECT pg_advisory_xact_lock(${Prisma.raw(String(EVENT_WAITS_LOCK))})::text`);
}
