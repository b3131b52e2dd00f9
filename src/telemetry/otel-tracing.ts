/**
 * Traces through @opentelemetry/api, once the SDK is registered (start.ts). Every span of an
 * execution is in the trace derived from its id (ids.ts): `execution.started`, zero-length and
 * emitted as soon as the execution's creation commits, and one span per step attempt, its child
 * (the parent named by derived ids, never held open), so a long execution is visible while it
 * runs. An event's ingestion span stays in the caller's trace; the executions it starts link to it.
 */
import {
  type Attributes,
  context,
  isSpanContextValid,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import type { StartedExecution, StepAttempt, StepAttemptOutcome, StepAttemptSpan } from "../engine/ports.js";
import type { DerivedIdGenerator } from "./derived-id-generator.js";
import { executionIds, traceparent } from "./ids.js";
import type { IngestedEvent, Tracing } from "./types.js";

/**
 * Steps whose last attempt here ended waiting (children, a delay, an event), by step id: a child
 * execution started by that attempt's record links to its span. Bounded: only the newest are kept,
 * and a child whose parent step ran elsewhere (a later batch, another process) links to its
 * parent execution's execution.started alone.
 */
const MAX_WAITING_STEPS = 10_000;

/** The remote parent every step span of the execution names: its execution.started span. */
function startedContext(executionId: string) {
  return { ...executionIds(executionId), traceFlags: TraceFlags.SAMPLED, isRemote: true };
}

export class OtelTracing implements Tracing {
  private readonly waitingSteps = new Map<string, SpanContext>();

  constructor(
    private readonly tracer: Tracer,
    private readonly ids: DerivedIdGenerator,
  ) {}

  executionsStarted(executions: readonly StartedExecution[]): void {
    // The span active here is what caused the start: an event's ingestion, or a parent's step.
    const cause = trace.getSpanContext(context.active());
    for (const e of executions) {
      const ids = executionIds(e.executionId);
      const links: Link[] = [];
      if (cause && isSpanContextValid(cause) && cause.traceId !== ids.traceId) links.push({ context: cause });
      const attributes: Attributes = {
        "workflow.execution.id": e.executionId,
        "workflow.id": e.workflowId,
        "workflow.version": e.workflowVersion,
      };
      if (e.parentExecutionId) {
        links.push({ context: startedContext(e.parentExecutionId), attributes: { "link.kind": "parent execution" } });
        const step = e.parentStepId ? this.waitingSteps.get(e.parentStepId) : undefined;
        if (step) links.push({ context: step, attributes: { "link.kind": "parent step" } });
        attributes["workflow.parent_execution.id"] = e.parentExecutionId;
        if (e.parentStepId) attributes["workflow.parent_step.id"] = e.parentStepId;
      }
      const at = Date.now();
      const span = this.ids.withIds(ids, () =>
        this.tracer.startSpan("execution.started", { root: true, links, attributes, startTime: at }, ROOT_CONTEXT),
      );
      span.end(at);
    }
  }

  stepAttempt(attempt: StepAttempt): StepAttemptSpan {
    const parent = trace.setSpanContext(ROOT_CONTEXT, startedContext(attempt.executionId));
    const span = this.tracer.startSpan(
      `step.${attempt.type}`,
      {
        attributes: {
          "workflow.execution.id": attempt.executionId,
          "workflow.id": attempt.workflowId,
          "workflow.node.id": attempt.nodeId,
          "workflow.node.type": attempt.type,
          "workflow.step.attempt": attempt.attempt,
          "workflow.step.in_memory": attempt.inMemory,
        },
      },
      parent,
    );
    const own = span.spanContext();
    return {
      traceparent: traceparent(own, (own.traceFlags & TraceFlags.SAMPLED) !== 0),
      end: (outcome: StepAttemptOutcome, error?: string) => {
        span.setAttribute("workflow.step.outcome", outcome);
        if (outcome === "waiting" && attempt.stepId !== undefined) this.rememberWaiting(attempt.stepId, own);
        if (outcome === "retry" || outcome === "failed") {
          span.setStatus({ code: SpanStatusCode.ERROR, ...(error === undefined ? {} : { message: error }) });
        }
        span.end();
      },
    };
  }

  private rememberWaiting(stepId: string, span: SpanContext): void {
    this.waitingSteps.delete(stepId); // re-inserted as the newest
    this.waitingSteps.set(stepId, span);
    if (this.waitingSteps.size > MAX_WAITING_STEPS) {
      const oldest = this.waitingSteps.keys().next().value;
      if (oldest !== undefined) this.waitingSteps.delete(oldest);
    }
  }

  eventIngestion<T>(
    traceparentHeader: string | undefined,
    ingest: () => Promise<T>,
    describe: (result: T) => IngestedEvent,
  ): Promise<T> {
    // The W3C propagator ignores a malformed header: the span is then a root of its own trace.
    const parent =
      traceparentHeader === undefined
        ? ROOT_CONTEXT
        : propagation.extract(ROOT_CONTEXT, { traceparent: traceparentHeader });
    return this.tracer.startActiveSpan("event.ingest", { kind: SpanKind.SERVER }, parent, async (span: Span) => {
      try {
        const result = await ingest();
        const event = describe(result);
        span.setAttributes({
          "workflow.event.id": event.eventId,
          "workflow.event.matched": event.executionIds.length,
          "workflow.event.execution_ids": [...event.executionIds],
          "workflow.event.resumed_steps": event.resumedSteps,
          "workflow.event.duplicate": event.duplicate,
          ...(event.name === undefined ? {} : { "workflow.event.name": event.name }),
        });
        return result;
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        throw error;
      } finally {
        span.end();
      }
    });
  }
}
