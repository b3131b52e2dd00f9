/**
 * A step's record that the database refuses for good (permanentWriteError in
 * src/db/errors.ts): a notification whose toRole passes btree's row limit,
 * text PostgreSQL cannot hold (a NUL character), a statement too large to
 * build. Retrying the job would send the same rows again and again, until the
 * lost-run limit blamed a worker that was never lost; instead the step fails
 * at once, not retried, with what could not be stored and PostgreSQL's reason,
 * and its execution FAILED (`n1: notification could not be stored: index row
 * size … (SQLSTATE 54000)`).
 *
 * Which part was refused is found by leaving parts out, most likely culprit
 * first, until a record is accepted: the notifications the step sent, then its
 * output (and its own error text), then its input.
 */
import { permanentWriteError } from "../../db/errors.js";
import type { SqlDb } from "../../db/sql.js";
import type { ChangeSet } from "./change-set.js";
import { failStep } from "./fail-step.js";
import type { Finish } from "./held-step.js";

/** Longest database reason kept in the step's error. */
const MAX_REASON_CHARS = 1000;

/**
 * Records the step FAILED without what the database refused (`reason`). If
 * even its barest record is refused, the first error is thrown again.
 */
export async function failUnstorable(
  db: SqlDb,
  finish: Finish,
  refused: unknown,
  now: Date,
): Promise<{ result: boolean; changes: ChangeSet }> {
  const reason = (permanentWriteError(refused) ?? String(refused)).slice(0, MAX_REASON_CHARS);
  const bare = { ...finish, notifications: [] };
  const tries: { finish: Finish; error: string }[] = [
    ...(finish.notifications?.length ? [{ finish: bare, error: `notification could not be stored: ${reason}` }] : []),
    {
      finish: { ...bare, output: undefined },
      error: `${finish.output === undefined ? "the step's outcome" : "output"} could not be stored: ${reason}`,
    },
    { finish: { ...bare, output: undefined, input: null }, error: `input could not be stored: ${reason}` },
  ];
  for (const attempt of tries) {
    try {
      return await failStep(db, { ...attempt.finish, error: attempt.error }, now);
    } catch (error) {
      if (permanentWriteError(error) === undefined) throw error;
    }
  }
  throw refused;
}
