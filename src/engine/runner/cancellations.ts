/**
 * The abort signals of the steps this process is running that wait on the
 * outside world (http_call), by execution. Cancelling an execution marks its
 * steps CANCELLED in the database at once; when the change is heard here (the
 * bus: Redis pub/sub in production, in-process in embedded mode), the signals
 * of its running steps abort, so their requests end now instead of at their
 * timeout. Whatever the handler then returns is discarded, as for any step
 * that finishes after its execution was cancelled.
 */
export class RunningCancellations {
  private readonly running = new Map<string, Set<AbortController>>();

  /** A signal that aborts if `executionId` is cancelled before `release()`; call release when the run ends. */
  watch(executionId: string): { signal: AbortSignal; release(): void } {
    const controller = new AbortController();
    let controllers = this.running.get(executionId);
    if (!controllers) {
      controllers = new Set();
      this.running.set(executionId, controllers);
    }
    controllers.add(controller);
    const release = () => {
      const current = this.running.get(executionId);
      if (!current?.delete(controller) || current.size > 0) return;
      this.running.delete(executionId);
    };
    return { signal: controller.signal, release };
  }

  /** The execution was cancelled: abort what its running steps wait on. */
  cancelled(executionId: string): void {
    const controllers = this.running.get(executionId);
    if (!controllers) return;
    this.running.delete(executionId);
    for (const controller of controllers) controller.abort(new Error("its execution was cancelled"));
  }

  /** Runs being watched (for tests and metrics). */
  get size(): number {
    let count = 0;
    for (const controllers of this.running.values()) count += controllers.size;
    return count;
  }
}
