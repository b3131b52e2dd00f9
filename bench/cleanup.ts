/**
 * Everything the bench creates registers how to undo it here: child
 * processes, connections, Redis keys, the database. The actions run in reverse
 * order, once, whether the bench finished, failed or was interrupted (Ctrl-C).
 */
import { clearProgress } from "./progress.js";

interface Action {
  name: string;
  run: () => Promise<void> | void;
}

const actions: Action[] = [];
let running: Promise<void> | undefined;

/** Registers an undo action; the last registered runs first. */
export function onCleanup(name: string, run: () => Promise<void> | void): void {
  actions.push({ name, run });
}

/** Runs every action (each at most 20 s; a failing one does not stop the others). Safe to call twice. */
export function cleanUp(): Promise<void> {
  running ??= (async () => {
    for (const action of actions.reverse()) {
      if (process.env.BENCH_DEBUG) process.stderr.write(`cleanup: ${action.name}\n`);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("timed out")), 20_000);
      });
      try {
        await Promise.race([Promise.resolve().then(action.run), timeout]);
      } catch (error) {
        process.stderr.write(`cleanup: ${action.name} failed: ${String(error)}\n`);
      } finally {
        clearTimeout(timer);
      }
    }
  })();
  return running;
}

/** Ctrl-C or SIGTERM: clean up, then exit with the conventional status. */
export function cleanUpOnSignals(): void {
  for (const [signal, status] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    process.once(signal, () => {
      clearProgress();
      process.stderr.write(`\n${signal}: cleaning up (processes, queues, database)…\n`);
      void cleanUp().finally(() => process.exit(status));
    });
  }
}
