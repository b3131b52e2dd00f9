/**
 * The typed pub/sub topics. Payloads carry ids and statuses only; subscribers
 * re-read what they need, so a client's selection decides what loads.
 */
import type { ExecutionStatus, StepStatus } from "../generated/prisma/enums.js";

export interface ExecutionChanged {
  kind: "execution";
  executionId: string;
  workflowId: string;
  status: ExecutionStatus;
  seq: number;
}

export interface StepChanged {
  kind: "step";
  executionId: string;
  workflowId: string;
  stepId: string;
  nodeId: string;
  status: StepStatus;
  seq: number;
}

export interface NotificationSent {
  notificationId: string;
  executionId: string;
  stepId: string;
  toRole: string;
}

/** Topic name → [routing id, payload]. `*` as the id means "all". */
export type BusTopics = {
  /** Every change to one execution and its steps, in seq order. */
  executionUpdated: [executionId: string, payload: ExecutionChanged | StepChanged];
  stepUpdated: [executionId: string, payload: StepChanged];
  /** Status changes of the executions of one workflow, or of all ("*"). */
  executionsChanged: [workflowId: string, payload: ExecutionChanged];
  /** Notifications for one role, or for all ("*"). */
  notificationSent: [toRole: string, payload: NotificationSent];
};

export const ALL = "*";
