/**
 * An execution's trace, derived from its id alone: every process that touches the execution (the
 * server that created it, any worker, a retry, a resume after a restart) computes the same trace
 * id, and the same span id for its `execution.started` span, so step spans name that span as
 * their parent without anyone holding it open or storing it.
 */
import { createHash } from "node:crypto";

export interface DerivedIds {
  /** 32 lowercase hex digits (16 bytes), never all zeros. */
  traceId: string;
  /** 16 lowercase hex digits (8 bytes), never all zeros: the execution.started span's. */
  spanId: string;
}

/** The trace of an execution and its `execution.started` span, from a SHA-256 of its id. */
export function executionIds(executionId: string): DerivedIds {
  const hex = createHash("sha256").update(`workflow-engine/execution/${executionId}`).digest("hex");
  return { traceId: nonZero(hex.slice(0, 32)), spanId: nonZero(hex.slice(32, 48)) };
}

/** A W3C traceparent (version 00) for a span context. */
export function traceparent(ids: { traceId: string; spanId: string }, sampled: boolean): string {
  return `00-${ids.traceId}-${ids.spanId}-${sampled ? "01" : "00"}`;
}

/** An all-zero id is invalid in W3C trace context; a hash gives one about never, but never is better. */
function nonZero(hex: string): string {
  return /^0+$/.test(hex) ? `${hex.slice(0, -1)}1` : hex;
}
