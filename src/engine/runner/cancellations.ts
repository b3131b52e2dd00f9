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
  /**
   * Executions cancelled lately, oldest first. A step claimed just before its
   * execution was cancelled may start its handler after the cancellation was
   * heard; its signal then aborts at once. A cancelled execution never runs again.
   */
  private readonly recent = new Set<string>();

  constructor(private readonly remember = 1_000) {}

  /** A signal that aborts if `executionId` is cancelled before `release()`; call release when the run ends. */
  watch(executionId: string): { signal: AbortSignal; release(): void } {
    const controller = new AbortController();
    if (this.recent.has(executionId)) {
      controller.abort(cancelledError());
      return { signal: controller.signal, release: () => {} };
    }
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
    this.recent.add(executionId);
    if (this.recent.size > this.remember) this.recent.delete(this.recent.values().next().value as string);
    const controllers = this.running.get(executionId);
    if (!controllers) return;
    this.running.delete(executionId);
    for (const controller of controllers) controller.abort(cancelledError());
  }

  /** Runs being watched (for tests). */
  get size(): number {
    let count = 0;
    for (const controllers of this.running.values()) count += controllers.size;
    return count;
  }
}

/** The abort reason: http_call's error reads "the request to <host> was aborted: its execution was cancelled". */
function cancelledError(): Error {
  return new Error("its execution was cancelled");
}
