/**
 * Which nodes become runnable (or skipped) after some steps finish: the one
 * place successors are planned. Pure: it reads the graph and step states and
 * returns rows to create. planSuccessors serves the locked transaction (which
 * read every step of the execution); planFollowUp decides, from a finished
 * step alone, whether its successors can be created without that read (the
 * single-statement finish, steps run ahead in memory).
 *
 * A node with several incoming paths runs once, after every one of them has
 * finished or been skipped, if at least one of them flowed into it. When none
 * did (all were skipped, or a branch chose elsewhere) the node is SKIPPED, and
 * that propagates to its own successors.
 */
import type { StepStatus } from "../generated/prisma/enums.js";
import type { GraphIndex } from "./graph.js";

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

/**
 * What follows a finished step when its own completion decides it:
 * - `successors`: the steps it creates (at least one runnable) whatever the
 *   rest of the execution holds;
 * - `last`: the node has no successors, so the execution ends with it if no
 *   other step is open (the finish statement reads that);
 * - `undecided`: only the locked transaction can tell (a join, the end of a
 *   path with others open, the step limit).
 */
export type FollowUp = { kind: "successors"; steps: readonly PlannedStep[] } | { kind: "last" } | { kind: "undecided" };

/** A follow-up a single statement can record. */
export type DecidedFollowUp = Exclude<FollowUp, { kind: "undecided" }>;

/** What the completion of `nodeId`, flowing to `next`, starts (see FollowUp). */
export function planFollowUp(
  index: GraphIndex,
  nodeId: string,
  next: readonly string[],
  maxStepsPerExecution: number,
): FollowUp {
  if (index.outgoing(nodeId).length === 0) return { kind: "last" };
  const steps = independentPlan(index, nodeId, next, maxStepsPerExecution);
  return steps ? { kind: "successors", steps } : { kind: "undecided" };
}

/**
 * The steps a finished step creates when no other step can change them: every
 * node its completion reaches (its successors, and theirs when skipped) has
 * only that step or nodes skipped by it as sources, so the plan is the same
 * whatever the rest of the execution holds. That covers chains, fan-out and a
 * branch whose unchosen paths are skipped. At least one step must be runnable
 * (so the execution cannot end here), and the graph small enough that the step
 * limit cannot be reached (every node runs at most once). Undefined when the
 * locked transaction must decide (joins, the end of the execution, the limit).
 */
export function independentPlan(
  index: GraphIndex,
  nodeId: string,
  next: readonly string[],
  maxStepsPerExecution: number,
): readonly PlannedStep[] | undefined {
  if (index.nodes.size > maxStepsPerExecution) return undefined;
  const known = new Map<string, StepState>([[nodeId, { status: "SUCCEEDED", next }]]);
  const planned = planSuccessors(index, known, [nodeId]);
  for (const step of planned) known.set(step.nodeId, { status: step.status, next: [] });
  // Every node reached must have been decided from these states alone.
  const reached = [nodeId, ...planned.filter((p) => p.status === "SKIPPED").map((p) => p.nodeId)];
  const decided = reached
    .flatMap((id) => index.outgoing(id))
    .every((target) => known.has(target) && index.incoming(target).every((source) => known.has(source)));
  return decided && planned.some((p) => p.status === "PENDING") ? planned : undefined;
}
