/**
 * What the step runner's parts share: its dependencies and limits, the state
 * of one execution while a job runs its steps, and how far a job may go.
 */
import type { SqlDb } from "../../db/sql.js";
import type { HandlerRegistry } from "../handlers/index.js";
import type { HandlerServices, StepOutcome } from "../handlers/types.js";
import type { ChangePublisher, Clock, EngineLogger, EngineTracing, StepQueue } from "../ports.js";
import type { AdvanceOptions } from "../store/advance-execution.js";
import type { PinnedWorkflow, WorkflowCache } from "../workflow-cache.js";
import type { Admissions } from "./admissions.js";
import type { RunningCancellations } from "./cancellations.js";

export interface RunnerLimits {
  leaseMs: number;
  maxStepsPerExecution: number;
  maxOutputBytes: number;
  /** Largest rendered value of one templated field (MAX_TEMPLATE_OUTPUT_BYTES). */
  maxTemplateBytes: number;
  /** Most waits ended by local timers at once (the worker's concurrency). */
  localWakeupsMax?: number;
  /** How deep call_workflow and for_each may nest (MAX_CALL_DEPTH); default 10. */
  maxCallDepth?: number;
  /** Reruns per second a bulk replay starts (REPLAY_RATE_PER_SECOND); default 50. */
  replayRatePerSecond?: number;
}

export interface StepRunnerDeps {
  sql: SqlDb;
  registry: HandlerRegistry;
  workflows: WorkflowCache;
  queue: StepQueue;
  publisher: ChangePublisher;
  http: HandlerServices["http"];
  clock: Clock;
  logger: EngineLogger;
  limits: RunnerLimits;
  /** Called when a handler returns, with how long it took (metrics). */
  onStepFinished?: (type: string, outcome: StepOutcome["kind"], seconds: number) => void;
  /** Called per instant a schedule's job handled (metrics): its status, and how late it fired (not for MISSED). */
  onScheduleFired?: (status: string, latenessSeconds: number | undefined) => void;
  /** Aborts the running steps of a cancelled execution; without it, nothing aborts them. */
  cancellations?: RunningCancellations;
  /** Admission for workflows with flow control; without it, the reconciler admits (runner/admissions.ts). */
  admissions?: Admissions;
  /** Traces, when turned on (src/telemetry/): a span per step attempt, and per execution started. */
  tracing?: EngineTracing | undefined;
}

/** The runner as its parts see it: its dependencies, and whether it is draining. */
export interface Runner {
  readonly deps: StepRunnerDeps;
  /** Set when the worker shuts down: finish the current step, but start no successor in this job. */
  readonly draining: boolean;
}

/** What every step of one execution shares while a job runs them. */
export interface ExecutionContext {
  workflow: PinnedWorkflow;
  executionId: string;
  payload: unknown;
  /** Node data replacing the version's for this execution (a rerun's input), by node id. */
  dataOverrides?: Readonly<Record<string, unknown>> | null;
  /** Steps this job ran so far, in memory ahead included: past the cap, successors go back to the queue. */
  stepsRun: number;
}

/**
 * Steps one job may run back to back (each successor claimed in the
 * transaction that finished its predecessor) before handing the rest of the
 * execution back to the queue, so one long workflow cannot hold a slot forever.
 */
export const MAX_STEPS_PER_JOB = 100;

/** Whether this job may run another step of the execution itself. */
export function mayRunMore(runner: Runner, context: ExecutionContext): boolean {
  return !runner.draining && context.stepsRun < MAX_STEPS_PER_JOB;
}

/** How a record advances the execution: successors are claimed for this job while it may run more. */
export function advanceOptions(runner: Runner, context: ExecutionContext, now: Date): AdvanceOptions {
  const { leaseMs, maxStepsPerExecution } = runner.deps.limits;
  return { now, maxStepsPerExecution, ...(mayRunMore(runner, context) ? { claimNextForMs: leaseMs } : {}) };
}
