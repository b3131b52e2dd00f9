/** What traces offer the rest of the application (docs/operations.md, "Traces"). */
import type { EngineTracing } from "../engine/ports.js";

/** What an event's ingestion span records once the event is written. */
export interface IngestedEvent {
  eventId: string;
  /** A top-level `name` or `type` of the payload, when it is a short string: what the event is. */
  name?: string | undefined;
  executionIds: readonly string[];
  resumedSteps: number;
  duplicate: boolean;
}

export interface Tracing extends EngineTracing {
  /**
   * Runs an event's ingestion inside its span (`event.ingest`), a child of the caller's span when
   * `traceparent` names one (a malformed one is ignored); the executions it starts link to it.
   */
  eventIngestion<T>(
    traceparent: string | undefined,
    ingest: () => Promise<T>,
    describe: (result: T) => IngestedEvent,
  ): Promise<T>;
}
