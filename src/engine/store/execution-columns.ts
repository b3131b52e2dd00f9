/**
 * The columns of an Execution row as raw SQL returns it, typed once against
 * the Prisma model: adding a column to the model fails to compile here until
 * it is listed, instead of silently missing from rows cast to Execution.
 */
import { type Execution, Prisma } from "../../generated/prisma/client.js";

/** Each field of Execution, as the SQL that selects it under its own name. */
const COLUMNS: { readonly [K in keyof Execution]: string } = {
  id: "id",
  workflowId: '"workflowId"',
  workflowVersion: '"workflowVersion"',
  status: "status::text AS status",
  payload: "payload",
  eventId: '"eventId"',
  error: "error",
  seq: "seq",
  createdAt: '"createdAt"',
  startedAt: '"startedAt"',
  finishedAt: '"finishedAt"',
  deadlineAt: '"deadlineAt"',
  parentExecutionId: '"parentExecutionId"',
  parentStepId: '"parentStepId"',
  childIndex: '"childIndex"',
  callDepth: '"callDepth"',
  rerunOfId: '"rerunOfId"',
  rerunFromNodeId: '"rerunFromNodeId"',
  dataOverrides: '"dataOverrides"',
  replayId: '"replayId"',
  wakesScheduleId: '"wakesScheduleId"',
};

/** `id, "workflowId", …`: every column of an Execution row (for RETURNING or SELECT). */
export const EXECUTION_COLUMNS = Prisma.raw(Object.values(COLUMNS).join(", "));
