/**
 * The engine's public face: everything services, REST, GraphQL, the worker
 * and the composition root use from the engine comes from here, grouped by
 * concern. What is not exported here is the engine's own business (the
 * store's SQL, the runner's parts); see src/engine/README.md for how they fit.
 */

// Executions as a whole: start (directly, or with the event that matched them), cancel, retry.
export {
  cancelExecution,
  type DebouncedStart,
  type ExecutionDeps,
  type NewExecution,
  planDebounce,
  planExecution,
  retryExecution,
  startExecution,
  startForEvent,
} from "./executions.js";
// Flow control: concurrency limits, rate limit, debounce and priority (definitions and validation).
export {
  type ConcurrencyLimit,
  checkFlowControl,
  type Debounce,
  type FlowControl,
  type FlowControlInput,
  type RateLimit,
  storedFlowControl,
} from "./flow-control.js";
export { explainLimits, type LimitMet } from "./flow-explain.js";
// Workflows: definitions, their validation, pinned versions, triggers, and the revision counter
// that tells every process's caches when workflows changed.
export type { GraphEdge, GraphNode, WorkflowGraph } from "./graph.js";
// Node types: the handlers a registry holds, and what they see of the outside world.
export { builtinHandlers, createHandlerRegistry, type HandlerRegistry } from "./handlers/index.js";
export type { HandlerServices, HttpRequest, HttpResponse, NodeHandler, StepOutcome } from "./handlers/types.js";
export { checkRule, isPlainObject, type JsonLogicRule } from "./json-logic.js";
// Reruns from a node (copying what is upstream of it), and bulk replays of many executions.
export { enqueueHeldSteps } from "./pauses.js";
// Ports: what the engine needs from the outside (queue, bus, clock, logger), implemented in src/queue and src/bus.
export type {
  ChangePublisher,
  Clock,
  EngineChange,
  EngineLogger,
  EntryHint,
  JobResult,
  JobStart,
  PublishedChange,
  ReplayChange,
  StepJob,
  StepJobProcessor,
  StepQueue,
} from "./ports.js";
export { systemClock } from "./ports.js";
export { abortReplay, previewReplay, type ReplayFilter, startReplay } from "./replays.js";
export { type RerunRequest, rerunExecution } from "./reruns.js";
// Retention: the background pruner of finished executions, old events and the change log.
export {
  type PruneCounts,
  type PrunePass,
  Pruner,
  type PrunerOptions,
  type RetentionSettings,
  retentionSettings,
} from "./retention.js";
// Steps: the runner that processes step jobs, the reconciler that rebuilds them from PostgreSQL,
// and the registry of in-flight steps a cancel aborts.
export { type AdmissionDeps, Admissions } from "./runner/admissions.js";
export { RunningCancellations } from "./runner/cancellations.js";
export { type ReconcileReport, Reconciler, type ReconcilerOptions } from "./runner/reconciler.js";
export { type RunnerLimits, StepRunner, type StepRunnerDeps } from "./runner/step-runner.js";
// Schedules: cron schedules and one-off runAt entries (definitions, their rows and timers, firing by hand).
export {
  type CronSchedule,
  checkSchedules,
  type RunAtEntry,
  SCHEDULE_OVERLAPS,
  type ScheduleDefinitions,
  type ScheduleInput,
  type ScheduleOverlap,
} from "./schedule-definitions.js";
export { localTime } from "./schedule-times.js";
export {
  enqueueTimers,
  type Firing,
  type FiringStatus,
  pauseSchedule,
  type ScheduleRow,
  type ScheduleTimer,
  triggerSchedule,
  upcomingRuns,
} from "./schedules.js";
// Waits: the kinds of waiting a step can do: a delay until a time (store/wait-step.ts, store/end-wait.ts),
// and an event (store/await-event.ts, store/resolve-waits.ts; delivered by startForEvent, decided
// again by the reconciler); capacity (flow control), child executions and schedules (above) are the
// others. src/engine/README.md, "Adding a new kind of wait", says how they are built.
export { backlogByWorkflow, type WorkflowBacklog } from "./store/backlog.js";
export { type CapacityWaitExplained, capacityByWorkflow, explainCapacityWait } from "./store/capacity-waits.js";
export { stepsResumedBy } from "./store/event-waits.js";
export { bumpRevision, readRevision, WORKFLOWS_REVISION } from "./store/revisions.js";
export { readSchedules, saveSchedules } from "./store/schedules.js";
export { checkTemplates } from "./template.js";
export { type TriggerFailure, TriggerIndex, type TriggerMatch, type TriggerSource } from "./triggers.js";
export {
  DEFAULT_VALIDATION_LIMITS,
  type ValidationIssue,
  type ValidationLimits,
  type ValidationResult,
  validateNodeDataIn,
  validateWorkflow,
} from "./validate.js";
export { decideWaits, explainWaits, type Resolution, type WaitDeps } from "./waits.js";
export { type PinnedWorkflow, WorkflowCache } from "./workflow-cache.js";
