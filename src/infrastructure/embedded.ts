/**
 * Embedded mode: PGlite in this process (data in DATA_DIR), an in-process
 * queue and an in-process bus. For one machine; scaling out means PostgreSQL,
 * Redis and more workers (production mode).
 */
import path from "node:path";
import { createBus } from "../bus/bus.js";
import type { Config } from "../config.js";
import { openEmbeddedDatabase } from "../db/pglite-db.js";
import { databaseReadiness } from "../db/readiness.js";
import { prismaSqlDb } from "../db/sql.js";
import type { Logger } from "../logger.js";
import { InProcessStepQueue } from "../queue/in-process-queue.js";
import type { Infrastructure } from "./types.js";

export async function embeddedInfrastructure(config: Config, logger: Logger): Promise<Infrastructure> {
  const location = config.DATA_DIR.startsWith("memory://") ? config.DATA_DIR : path.join(config.DATA_DIR, "pglite");
  const database = await openEmbeddedDatabase(location);
  const queue = new InProcessStepQueue(config.WORKER_CONCURRENCY, logger);
  return {
    db: database.db,
    // One PGlite connection: the engine's SQL goes through Prisma too, so transactions never interleave.
    sql: prismaSqlDb(database.db),
    queue,
    bus: createBus(),
    async startConsumer(processor) {
      queue.start(processor);
      return { close: () => queue.close() };
    },
    async checkReady() {
      return { ...(await databaseReadiness(database.db)), queue: true };
    },
    async close() {
      await queue.close();
      await database.close();
    },
  };
}
