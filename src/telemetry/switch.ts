/**
 * Whether traces are turned on, from the standard OpenTelemetry variables alone: an OTLP endpoint
 * (OTEL_EXPORTER_OTLP_ENDPOINT or its traces-only twin) or an explicit OTEL_TRACES_EXPORTER. Off
 * otherwise, and with OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED=true, in which case the SDK
 * is never loaded (start.ts imports it only when this says yes).
 */
/** The variables that decide (src/config.ts reads them with the rest). */
export interface TracesSwitch {
  readonly OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  readonly OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  readonly OTEL_TRACES_EXPORTER?: string | undefined;
  readonly OTEL_SDK_DISABLED?: string | undefined;
  readonly OTEL_SERVICE_NAME?: string | undefined;
}

export function tracingRequested(env: TracesSwitch): boolean {
  const set = (name: Exclude<keyof TracesSwitch, "OTEL_SERVICE_NAME">) => (env[name] ?? "").trim();
  if (set("OTEL_SDK_DISABLED").toLowerCase() === "true") return false;
  const exporters = set("OTEL_TRACES_EXPORTER")
    .toLowerCase()
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  if (exporters.includes("none")) return false;
  return (
    exporters.length > 0 ||
    set("OTEL_EXPORTER_OTLP_ENDPOINT") !== "" ||
    set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") !== ""
  );
}
