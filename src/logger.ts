import { type DestinationStream, type Logger, pino } from "pino";
import type { Config } from "./config.js";

export type { Logger };

/** Structured JSON logs; engine lines carry executionId, stepId and nodeId fields. */
export function createLogger(
  config: Pick<Config, "LOG_LEVEL"> & Partial<Pick<Config, "LOG_FORMAT" | "MODE">>,
  name = "workflow-engine",
  destination?: DestinationStream,
): Logger {
  const options = { name, level: config.LOG_LEVEL, base: { pid: process.pid } };
  if (destination) return pino(options, destination);
  const format = config.LOG_FORMAT ?? (config.MODE === "embedded" ? "pretty" : "json");
  if (format === "pretty") {
    return pino({
      ...options,
      transport: { target: "pino-pretty", options: { translateTime: "HH:MM:ss.l", ignore: "pid,hostname,name" } },
    });
  }
  return pino(options);
}
