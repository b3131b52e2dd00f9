/**
 * Worker process: consumes the step queue and reconciles lost work. SIGTERM or
 * SIGINT stops taking jobs, lets running steps finish, and closes connections.
 */
import { loadConfig } from "./config.js";
import { createDeps } from "./deps.js";

const config = loadConfig();
const deps = createDeps(config);
await deps.startWorker();
deps.logger.info({ queue: config.QUEUE_NAME, concurrency: config.WORKER_CONCURRENCY }, "worker started");

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    deps.logger.info({ signal }, "worker stopping: finishing running steps");
    deps.close().then(
      () => {
        deps.logger.info({}, "worker stopped");
        process.exit(0);
      },
      (error: unknown) => {
        deps.logger.error({ err: error }, "worker did not stop cleanly");
        process.exit(1);
      },
    );
  });
}
