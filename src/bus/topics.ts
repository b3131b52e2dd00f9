/**
 * The typed pub/sub topics. Payloads are the engine's changes (ids and statuses
 * only); subscribers re-read what they need, so a client's selection decides
 * what loads.
 */
import type { PublishedChange } from "../engine/index.js";

type Change<T extends PublishedChange["type"]> = Omit<Extract<PublishedChange, { type: T }>, "type">;

export type ExecutionChanged = Change<"execution"> & { kind: "execution" };
export type StepChanged = Change<"step"> & { kind: "step" };
export type NotificationSent = Change<"notification">;
export type ReplayProgress = Change<"replay">;

/** Topic name → [routing id, payload]. `*` as the id means "all". */
export type BusTopics = {
  /** Every change to one execution and its steps, in seq order. */
  executionUpdated: [executionId: string, payload: ExecutionChanged | StepChanged];
  stepUpdated: [executionId: string, payload: StepChanged];
  /** Status changes of the executions of one workflow, or of all ("*"). */
  executionsChanged: [workflowId: string, payload: ExecutionChanged];
  /** Notifications for one role, or for all ("*"). */
  notificationSent: [toRole: string, payload: NotificationSent];
  /**
   * Executions that became CANCELLED, all of them ("*"): workers abort those
   * executions' running calls. A channel of its own, so workers hear nothing else.
   */
  executionCancelled: [all: string, payload: ExecutionChanged];
  /** A bulk replay's progress, one replay's. */
  replayUpdated: [replayId: string, payload: ReplayProgress];
};

export const ALL = "*";
