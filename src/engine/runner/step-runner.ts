/**
 * Runs one step job: reads the step, claims it, executes its handler outside
 * any transaction, and records the outcome in one transaction. Handlers run at
 * least once; a step that already finished is never run again. Safe to call
 * any number of times for the same job.
 */
import type { Db } from "../../db/client.js";
import { NonRetryableStepError } from "../../errors.js";
import type { HandlerRegistry } from "../handlers/index.js";
import type { HandlerServices, NodeHandler, RetryPolicy, StepOutcome } from "../handlers/types.js";
import type { ChangePublisher, Clock, EngineLogger, JobResult, StepJob, StepQueue } from "../ports.js";
import { afterCommit } from "./after-commit.js";
import type { ChangeSet } from "./execution-lock.js";
import { handlerServices } from "./handler-services.js";
import { limitOutput, type PreparedInput, prepareInput } from "./step-context.js";
import {
  claimStep,
  completeStep,
  type Finish,
  failStep,
  finishWait,
  retryStepLater,
  type StepRef,
  waitStep,
} from "./transitions.js";
import type { PinnedWorkflow, WorkflowCache } from "./workflow-cache.js";

export interface RunnerLimits {
  leaseMs: number;
  maxStepsPerExecution: number;
  maxOutputBytes: number;
}

export interface StepRunnerDeps {
  db: Db;
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
}

/** Runs lost with a dead worker beyond the retry policy before the step is failed. */
const MAX_LOST_RUNS = 3;
const NO_RETRY = { attempts: 1, backoffMs: 0 };

type LoadedStep = NonNullable<Awaited<ReturnType<StepRunner["load"]>>>;

export class StepRunner {
  constructor(private readonly deps: StepRunnerDeps) {}

  readonly process = async (job: StepJob): Promise<JobResult | undefined> => {
    const step = await this.load(job.stepId);
    if (!step) return undefined;
    const now = this.deps.clock.now();
    const ref: StepRef = { stepId: step.id, executionId: step.executionId, nodeId: step.nodeId };
    switch (step.status) {
      case "SUCCEEDED":
      case "FAILED":
      case "SKIPPED":
      case "CANCELLED":
        return undefined;
      case "WAITING": {
        if (step.resumeAt && step.resumeAt > now) return { rescheduleAt: step.resumeAt };
        const workflow = await this.workflowOf(step);
        await this.commit(finishWait(this.deps.db, workflow, ref, this.advanceOptions(now)));
        return undefined;
      }
      case "RUNNING":
        // Held by a live worker, or by one that died: look again when the lease ends.
        if (step.leaseUntil && step.leaseUntil > now) return { rescheduleAt: step.leaseUntil };
        return this.run(step, ref);
      case "PENDING":
        if (step.resumeAt && step.resumeAt > now) return { rescheduleAt: step.resumeAt };
        return this.run(step, ref);
    }
  };

  private load(stepId: string) {
    return this.deps.db.step.findUnique({
      where: { id: stepId },
      select: {
        id: true,
        executionId: true,
        nodeId: true,
        status: true,
        resumeAt: true,
        leaseUntil: true,
        execution: { select: { workflowId: true, workflowVersion: true, payload: true } },
      },
    });
  }

  private workflowOf(step: LoadedStep): Promise<PinnedWorkflow> {
    return this.deps.workflows.get(step.execution.workflowId, step.execution.workflowVersion);
  }

  private advanceOptions(now: Date) {
    return { now, maxStepsPerExecution: this.deps.limits.maxStepsPerExecution };
  }

  private async run(step: LoadedStep, ref: StepRef): Promise<undefined> {
    const { db, clock, limits } = this.deps;
    const workflow = await this.workflowOf(step);
    const context = await this.prepare(step, workflow);
    const { result: attempt, changes } = await claimStep(db, ref, { now: clock.now(), leaseMs: limits.leaseMs });
    await this.afterCommit(changes);
    if (attempt === undefined) return undefined;

    const { node, handler, prepared, policy } = context;
    const finish = { step: ref, attempt, input: prepared.input };
    if (!prepared.ok || !handler || !node) {
      const error = prepared.ok ? "node not found" : prepared.error;
      this.deps.logger.warn({ ...ref, attempt, error }, "step input invalid");
      await this.commit(failStep(db, { ...finish, output: undefined, error }, clock.now()));
      return undefined;
    }
    if (attempt > policy.attempts + MAX_LOST_RUNS) {
      const error = `the step was interrupted ${attempt - 1} times (its worker was lost)`;
      await this.commit(failStep(db, { ...finish, output: undefined, error }, clock.now()));
      return undefined;
    }

    const started = Date.now();
    const outcome = await this.execute(handler, {
      data: prepared.data,
      node,
      execution: context.execution,
      steps: context.steps,
      attempt,
      maxAttempts: policy.attempts,
      edgeTargets: workflow.index.edgeTargets(ref.nodeId),
      services: handlerServices(this.deps, ref),
    });
    const durationMs = Date.now() - started;
    this.deps.onStepFinished?.(node.type, outcome.kind, durationMs / 1000);
    await this.record(
      outcome,
      { ...finish, output: limitOutput(outcome.output, limits.maxOutputBytes) },
      workflow,
      policy,
      {
        ...ref,
        type: node.type,
        attempt,
        durationMs,
      },
    );
    return undefined;
  }

  /** Everything a run needs before the claim: the node, its handler, its templated input, earlier outputs. */
  private async prepare(step: LoadedStep, workflow: PinnedWorkflow) {
    const node = workflow.index.node(step.nodeId);
    const handler = node ? this.deps.registry.get(node.type) : undefined;
    // Earlier outputs matter only to a node whose data mentions them ({{steps.…}}, $steps).
    const needsOutputs = handler?.readsStepOutputs === true || JSON.stringify(node?.data ?? {}).includes("steps");
    const outputs = needsOutputs
      ? await this.deps.db.step.findMany({
          where: { executionId: step.executionId, status: "SUCCEEDED" },
          select: { nodeId: true, output: true },
        })
      : [];
    const steps = Object.fromEntries(outputs.map((s) => [s.nodeId, { output: s.output }]));
    const execution = {
      id: step.executionId,
      workflowId: workflow.workflowId,
      workflowName: workflow.name,
      payload: step.execution.payload,
    };
    const prepared: PreparedInput =
      node && handler
        ? prepareInput(node, handler, {
            payload: execution.payload,
            steps,
            execution: { id: execution.id },
            workflow: { id: workflow.workflowId, name: workflow.name },
          })
        : {
            ok: false,
            input: node?.data ?? null,
            error: `node type "${node?.type ?? step.nodeId}" is not registered on this worker`,
          };
    const policy = prepared.ok && handler?.retryPolicy ? handler.retryPolicy(prepared.data) : NO_RETRY;
    return { node, handler, steps, execution, prepared, policy };
  }

  /** Records what the handler returned, in one transaction (exhaustive over the outcome kinds). */
  private async record(
    outcome: StepOutcome,
    finish: Finish,
    workflow: PinnedWorkflow,
    policy: RetryPolicy,
    log: Record<string, unknown> & { attempt: number },
  ): Promise<void> {
    const { db, clock, logger } = this.deps;
    const now = clock.now();
    switch (outcome.kind) {
      case "done": {
        const next = outcome.next ?? workflow.index.outgoing(finish.step.nodeId);
        logger.info(log, "step succeeded");
        await this.commit(completeStep(db, workflow, { ...finish, next }, this.advanceOptions(now)));
        return;
      }
      case "wait":
        logger.info({ ...log, until: outcome.until.toISOString() }, "step waiting");
        await this.commit(waitStep(db, { ...finish, until: outcome.until }));
        return;
      case "fail": {
        if (outcome.retryable && log.attempt < policy.attempts) {
          const retryAt = new Date(now.getTime() + policy.backoffMs * 2 ** (log.attempt - 1));
          logger.warn({ ...log, error: outcome.error, retryAt: retryAt.toISOString() }, "step failed, will retry");
          await this.commit(retryStepLater(db, { ...finish, error: outcome.error, retryAt }));
        } else {
          logger.warn({ ...log, error: outcome.error }, "step failed");
          await this.commit(failStep(db, { ...finish, error: outcome.error }, now));
        }
        return;
      }
    }
  }

  /** Handler errors become step failures; only NonRetryableStepError skips the retries. */
  private async execute(handler: NodeHandler, input: Parameters<NodeHandler["execute"]>[0]): Promise<StepOutcome> {
    try {
      return await handler.execute(input);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { kind: "fail", error: message, retryable: !(error instanceof NonRetryableStepError) };
    }
  }

  private async commit(transition: Promise<{ changes: ChangeSet }>): Promise<void> {
    const { changes } = await transition;
    await this.afterCommit(changes);
  }

  private afterCommit(changes: ChangeSet): Promise<void> {
    return afterCommit(this.deps, [changes]);
  }
}
