import { type Logger, pino } from "pino";
import type { Config } from "./config.js";

export type { Logger };

/** Structured JSON logs; engine lines carry executionId, stepId and nodeId fields. */
export function createLogger(config: Pick<Config, "LOG_LEVEL">, name = "workflow-engine"): Logger {
  return pino({ name, level: config.LOG_LEVEL, base: { pid: process.pid } });
}
