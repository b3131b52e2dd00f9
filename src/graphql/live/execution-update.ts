/**
 * One update of `executionUpdated`: as read from the change log (a snapshot's
 * or a gap's), or as heard on the bus.
 */
import type { ExecutionChanged, StepChanged } from "../../bus/topics.js";
import type { GraphQLContext } from "../context.js";

export type ExecutionUpdateKind = "SNAPSHOT" | "EXECUTION" | "STEP";

export interface ExecutionUpdate {
  kind: ExecutionUpdateKind;
  seq: number;
  executionId: string;
  stepId: string | null;
  nodeId: string | null;
  status: string;
}

/** Changes with afterSeq < seq < beforeSeq (no upper bound when beforeSeq is undefined), in order. */
export async function changesBetween(
  ctx: GraphQLContext,
  executionId: string,
  afterSeq: number,
  beforeSeq?: number,
): Promise<ExecutionUpdate[]> {
  const rows = await ctx.db.executionChange.findMany({
    where: { executionId, seq: { gt: afterSeq, ...(beforeSeq === undefined ? {} : { lt: beforeSeq }) } },
    orderBy: { seq: "asc" },
  });
  return rows.map((row) => ({
    kind: row.kind === "step" ? "STEP" : "EXECUTION",
    seq: row.seq,
    executionId,
    stepId: row.stepId,
    nodeId: row.nodeId,
    status: row.status,
  }));
}

/**
 * Every subscriber of an execution receives the same change object (one parsed
 * bus message), and gets the same update object for it: the WebSocket server
 * then executes and serializes it once for all of them (ws/operations.ts).
 */
const updatesByChange = new WeakMap<ExecutionChanged | StepChanged, ExecutionUpdate>();

export function fromBus(change: ExecutionChanged | StepChanged): ExecutionUpdate {
  let update = updatesByChange.get(change);
  if (!update) {
    update = toUpdate(change);
    updatesByChange.set(change, update);
  }
  return update;
}

function toUpdate(change: ExecutionChanged | StepChanged): ExecutionUpdate {
  return change.kind === "step"
    ? {
        kind: "STEP",
        seq: change.seq,
        executionId: change.executionId,
        stepId: change.stepId,
        nodeId: change.nodeId,
        status: change.status,
      }
    : {
        kind: "EXECUTION",
        seq: change.seq,
        executionId: change.executionId,
        stepId: null,
        nodeId: null,
        status: change.status,
      };
}
