import { type DestinationStream, type Logger, pino } from "pino";
import type { Config } from "./config.js";

export type { Logger };

/** Structured JSON logs; engine lines carry executionId, stepId and nodeId fields. */
export function createLogger(
  config: Pick<Config, "LOG_LEVEL">,
  name = "workflow-engine",
  destination?: DestinationStream,
): Logger {
  const options = { name, level: config.LOG_LEVEL, base: { pid: process.pid } };
  return destination ? pino(options, destination) : pino(options);
}
