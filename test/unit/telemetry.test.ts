/** Traces: the ids derived from an execution's id, and the switch that keeps the SDK unloaded when off. */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { executionIds, traceparent } from "../../src/telemetry/ids.js";
import { startTelemetry } from "../../src/telemetry/start.js";
import { tracingRequested } from "../../src/telemetry/switch.js";

const silent = { debug() {}, info() {}, warn() {}, error() {} };

describe("execution trace ids", () => {
  it("derives the same W3C-valid ids from the same execution id, in any process", () => {
    const a = executionIds("3f1e0c9a-8a4b-4c1e-9f6d-2b7c1d0e5a11");
    expect(a).toEqual(executionIds("3f1e0c9a-8a4b-4c1e-9f6d-2b7c1d0e5a11"));
    expect(a.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(a.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(a.traceId).not.toMatch(/^0+$/);
    expect(a.spanId).not.toMatch(/^0+$/);
  });

  it("gives different executions different traces", () => {
    const seen = new Set<string>();
    for (let n = 0; n < 1000; n++) seen.add(executionIds(`execution-${n}`).traceId);
    expect(seen.size).toBe(1000);
    expect(executionIds("a").spanId).not.toBe(executionIds("b").spanId);
  });

  it("writes a traceparent, sampled or not", () => {
    const ids = { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" };
    expect(traceparent(ids, true)).toBe("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    expect(traceparent(ids, false)).toBe("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  });
});

describe("the traces switch", () => {
  it("is off without the variables, and with OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED", () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: "  " })).toBe(false);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })).toBe(
      false,
    );
    expect(tracingRequested({ OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })).toBe(false);
    // A service name alone does not turn traces on.
    expect(tracingRequested({ OTEL_SERVICE_NAME: "x" })).toBe(false);
  });

  it("is on with an OTLP endpoint or an explicit traces exporter", () => {
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/v1/traces" })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: "otlp" })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: "console" })).toBe(true);
  });

  it("is decided from the configuration, which reads the variables with the rest", () => {
    expect(tracingRequested(loadConfig({}))).toBe(false);
    expect(tracingRequested(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }))).toBe(true);
    expect(
      tracingRequested(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_TRACES_EXPORTER: "none" })),
    ).toBe(false);
  });

  it("starts nothing when off: no tracing for the engine, and the SDK never loaded", async () => {
    expect(await startTelemetry({}, silent)).toBeUndefined();
    expect(await startTelemetry({ OTEL_TRACES_EXPORTER: "none" }, silent)).toBeUndefined();
    const loaded = Object.keys(await import("node:module").then((m) => m.createRequire(import.meta.url).cache));
    expect(loaded.some((file) => file.includes("@opentelemetry/sdk-node"))).toBe(false);
  });
});
