/**
 * The rows a change set inserts (steps, notifications, change-log entries),
 * each travelling as one JSON record per row. Their columns are listed once,
 * typed against the Prisma models: a column added to a model fails to compile
 * here until it is written or named as left to its default, instead of being
 * silently missing from the inserts.
 */

import type { ExecutionChange, Notification, Step } from "../../generated/prisma/client.js";
import { Prisma } from "../../generated/prisma/client.js";

/** How a column is written from its record: the field's SQL type, and the value (the field itself by default). */
interface ColumnSpec {
  type: string;
  /** An SQL expression of the record `r` (and the written relation `w`) when the field is not stored as is. */
  value?: string;
}

/** Every column of `Row` but those left to their defaults. */
type Columns<Row, Defaulted extends keyof Row> = { readonly [K in Exclude<keyof Row, Defaulted>]: ColumnSpec };

/** A record of each written column, by field name. */
export type RowRecord<C> = { [K in keyof C]: unknown };

/** A new step has not failed, waited or been lost; createdAt is now. */
export const STEP_COLUMNS: Columns<Step, "createdAt" | "error" | "resumeAt" | "lostRuns"> = {
  id: { type: "text" },
  executionId: { type: "text" },
  nodeId: { type: "text" },
  type: { type: "text" },
  status: { type: "text", value: 'r.status::"StepStatus"' },
  seq: { type: "int", value: "w.base + r.seq" },
  attempt: { type: "int" },
  startedAt: { type: "timestamp(3)" },
  leaseUntil: { type: "timestamp(3)" },
  finishedAt: { type: "timestamp(3)" },
  input: { type: "jsonb" },
  output: { type: "jsonb" },
  next: { type: "text[]", value: "COALESCE(r.next, '{}')" },
};

export const NOTIFICATION_COLUMNS: Columns<Notification, "createdAt"> = {
  id: { type: "text" },
  executionId: { type: "text" },
  stepId: { type: "text" },
  toRole: { type: "text" },
  message: { type: "text" },
};

export const CHANGE_LOG_COLUMNS: Columns<ExecutionChange, "createdAt"> = {
  executionId: { type: "text" },
  seq: { type: "int", value: "w.base + r.seq" },
  kind: { type: "text" },
  stepId: { type: "text" },
  nodeId: { type: "text" },
  status: { type: "text" },
};

/**
 * `INSERT INTO "<table>" (<columns>) SELECT <values> FROM jsonb_to_recordset(<records>) AS r(…)
 * JOIN <written> w ON w.execution_id = r."executionId"`: only the rows of the executions `written`
 * holds are inserted. `more` adds rows (a SELECT of the same columns).
 */
export function insertRecords(
  table: string,
  columns: Readonly<Record<string, ColumnSpec>>,
  records: readonly object[],
  written: Prisma.Sql,
  more?: Prisma.Sql,
): Prisma.Sql {
  const entries = Object.entries(columns);
  const names = entries.map(([name]) => `"${name}"`).join(", ");
  const values = entries.map(([name, spec]) => spec.value ?? `r."${name}"`).join(", ");
  const types = entries.map(([name, spec]) => `"${name}" ${spec.type}`).join(", ");
  return Prisma.sql`INSERT INTO ${Prisma.raw(`"${table}" (${names})`)}
    SELECT ${Prisma.raw(values)}
    FROM jsonb_to_recordset(${JSON.stringify(records)}::jsonb) AS r(${Prisma.raw(types)})
    JOIN ${written} w ON w.execution_id = r."executionId"
    ${more ? Prisma.sql`UNION ALL ${more}` : Prisma.empty}`;
}
