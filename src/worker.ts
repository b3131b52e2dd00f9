/**
 * Worker process: consumes the step queue and reconciles lost work. SIGTERM or
 * SIGINT stops taking jobs, lets running steps finish, and closes connections.
 */
import { loadConfig } from "./config.js";
import { createDeps } from "./deps.js";
import { onShutdownSignal } from "./shutdown.js";

const config = loadConfig();
const deps = await createDeps(config);
await deps.startWorker();
deps.logger.info({ queue: config.QUEUE_NAME, concurrency: config.WORKER_CONCURRENCY }, "worker started");
onShutdownSignal(deps.logger, "worker", () => deps.close());
