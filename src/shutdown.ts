import type { Logger } from "./logger.js";

/**
 * Runs `stop` once on the first SIGTERM or SIGINT, then exits 0 (or 1 if
 * stopping failed). A second signal while stopping is ignored: running steps
 * and open requests get to finish.
 */
export function onShutdownSignal(logger: Logger, name: string, stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, `${name} stopping`);
      stop().then(
        () => {
          logger.info({}, `${name} stopped`);
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, `${name} did not stop cleanly`);
          process.exit(1);
        },
      );
    });
  }
}
