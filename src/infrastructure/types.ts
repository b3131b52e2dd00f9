import type { Bus } from "../bus/bus.js";
import type { Db } from "../db/client.js";
import type { SqlDb } from "../db/sql.js";
import type { StepJobProcessor, StepQueue } from "../engine/index.js";

/** A step queue adapter as the composition root and operations see it. */
export interface QueueAdapter extends StepQueue {
  hasJob(jobId: string): Promise<boolean>;
  /** Jobs waiting, delayed or running. */
  depth(): Promise<number>;
}

/**
 * Everything that differs between production and embedded mode. The engine,
 * services and APIs above it are the same code in both.
 */
export interface Infrastructure {
  db: Db;
  /** The same database for the engine's hot path (see src/db/sql.ts). */
  sql: SqlDb;
  queue: QueueAdapter;
  bus: Bus;
  /** Starts consuming step jobs; resolves once ready. Returns how to stop (finishing running jobs). */
  startConsumer(processor: StepJobProcessor): Promise<{ close(): Promise<void> }>;
  checkReady(): Promise<Record<string, boolean>>;
  close(): Promise<void>;
}
