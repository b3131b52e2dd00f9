/**
 * The SDK's id generator, able to hand out the derived ids (ids.ts) for the one span about to
 * start: a span's ids are drawn synchronously inside startSpan, so setting them right before and
 * clearing them right after cannot leak into another span. Random ids otherwise.
 */
import { type IdGenerator, RandomIdGenerator } from "@opentelemetry/sdk-trace";
import type { DerivedIds } from "./ids.js";

export class DerivedIdGenerator implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  private pending: DerivedIds | undefined;

  generateTraceId(): string {
    return this.pending?.traceId ?? this.random.generateTraceId();
  }

  generateSpanId(): string {
    return this.pending?.spanId ?? this.random.generateSpanId();
  }

  /** Runs `start` (which starts one root span) with `ids` as the ids it draws. */
  withIds<T>(ids: DerivedIds, start: () => T): T {
    this.pending = ids;
    try {
      return start();
    } finally {
      this.pending = undefined;
    }
  }
}
