/**
 * Turning traces on: only when the standard variables ask for it (switch.ts) is the SDK loaded,
 * by a dynamic import, so a process without them never loads it and the engine sees no tracing
 * at all (its hooks check `tracing` is absent, nothing more). The Node SDK reads the rest of the
 * OTEL_* variables itself: exporter, protocol, endpoint, headers, sampler, batch delays, resource.
 * One SDK per process, shared by every createDeps in it and shut down (flushed) with the last.
 */
import type { EngineLogger } from "../engine/ports.js";
import { type TracesSwitch, tracingRequested } from "./switch.js";
import type { Tracing } from "./types.js";

export interface Telemetry {
  tracing: Tracing;
  /** Flushes the spans not exported yet; the last holder's call shuts the SDK down. */
  close(): Promise<void>;
}

const DEFAULT_SERVICE_NAME = "workflow-engine";

let shared: { started: Promise<{ tracing: Tracing; shutdown(): Promise<void> }>; holders: number } | undefined;

export async function startTelemetry(env: TracesSwitch, logger: EngineLogger): Promise<Telemetry | undefined> {
  if (!tracingRequested(env)) return undefined;
  shared ??= { started: startSdk(env), holders: 0 };
  const current = shared;
  current.holders += 1;
  const { tracing, shutdown } = await current.started;
  logger.info({ service: env.OTEL_SERVICE_NAME ?? DEFAULT_SERVICE_NAME }, "traces on (OpenTelemetry)");
  let closed = false;
  return {
    tracing,
    async close() {
      if (closed) return;
      closed = true;
      current.holders -= 1;
      if (current.holders > 0) return;
      if (shared === current) shared = undefined;
      await shutdown().catch((error: unknown) => logger.warn({ err: error }, "flushing traces failed"));
    },
  };
}

async function startSdk(env: TracesSwitch) {
  const [{ NodeSDK }, { trace }, { DerivedIdGenerator }, { OtelTracing }] = await Promise.all([
    import("@opentelemetry/sdk-node"),
    import("@opentelemetry/api"),
    import("./derived-id-generator.js"),
    import("./otel-tracing.js"),
  ]);
  const idGenerator = new DerivedIdGenerator();
  const sdk = new NodeSDK({
    // OTEL_SERVICE_NAME, when set, wins (the SDK's env detector); this is the default.
    ...(env.OTEL_SERVICE_NAME ? {} : { serviceName: DEFAULT_SERVICE_NAME }),
    idGenerator,
    // Traces only: metrics stay Prometheus' (GET /metrics), logs stay pino's.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  const tracing = new OtelTracing(trace.getTracer("workflow-engine"), idGenerator);
  return { tracing, shutdown: () => sdk.shutdown() };
}
