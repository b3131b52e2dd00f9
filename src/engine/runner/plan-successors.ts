/**
 * Which nodes become runnable (or skipped) after some steps finish. Pure: it
 * reads the graph and the current step states and returns rows to create.
 *
 * A node with several incoming paths runs once, after every one of them has
 * finished or been skipped, if at least one of them flowed into it. When none
 * did (all were skipped, or a branch chose elsewhere) the node is SKIPPED, and
 * that propagates to its own successors.
 */
import type { StepStatus } from "../../generated/prisma/enums.js";
import type { GraphIndex } from "../graph.js";

export interface StepState {
  status: StepStatus;
  /** For SUCCEEDED steps: the successors control flowed to. */
  next: readonly string[];
}

export interface PlannedStep {
  nodeId: string;
  status: "PENDING" | "SKIPPED";
}

const RESOLVED: ReadonlySet<StepStatus> = new Set(["SUCCEEDED", "SKIPPED", "FAILED", "CANCELLED"]);

export function planSuccessors(
  index: GraphIndex,
  states: ReadonlyMap<string, StepState>,
  finishedNodeIds: readonly string[],
): PlannedStep[] {
  const known = new Map(states);
  const planned: PlannedStep[] = [];
  const queue = finishedNodeIds.flatMap((id) => index.outgoing(id));
  for (let target = queue.shift(); target !== undefined; target = queue.shift()) {
    if (known.has(target)) continue;
    const incoming = index.incoming(target).map((source) => ({ source, state: known.get(source) }));
    if (incoming.some(({ state }) => !state || !RESOLVED.has(state.status))) continue; // a path is still open
    const flowedIn = incoming.some(({ state }) => state?.status === "SUCCEEDED" && state.next.includes(target));
    const status = flowedIn ? "PENDING" : "SKIPPED";
    known.set(target, { status, next: [] });
    planned.push({ nodeId: target, status });
    if (status === "SKIPPED") queue.push(...index.outgoing(target));
  }
  return planned;
}
