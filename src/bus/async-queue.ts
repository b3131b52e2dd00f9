/**
 * An async iterator fed by pushes: what one subscriber of the bus (or of a live
 * stream built on it) reads. Lighter than a Repeater, which allocates several
 * promises and a promise-derived object per push; with a thousand subscribers
 * of one execution every change is pushed a thousand times.
 *
 * Ending is immediate: return() (a client gone) settles a pending next() at
 * once and runs the cleanup given to the constructor, exactly once, however
 * the queue ended. A queue that falls `limit` items behind its reader fails
 * rather than hold memory without bound.
 */
export class QueueOverflowError extends Error {
  constructor(limit: number) {
    super(`the subscriber fell more than ${limit} changes behind and was ended; subscribe again to catch up`);
    this.name = "QueueOverflowError";
  }
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private head = 0;
  private reader: { resolve(result: IteratorResult<T>): void; reject(error: unknown): void } | undefined;
  private ended = false;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly onEnd: () => void = () => {},
    private readonly limit = 10_000,
  ) {}

  /** Items waiting for the reader. */
  get buffered(): number {
    return this.items.length - this.head;
  }

  /** Adds an item for the reader; ignored once the queue ended. */
  push(item: T): void {
    if (this.ended) return;
    if (this.reader) {
      const { resolve } = this.reader;
      this.reader = undefined;
      resolve({ done: false, value: item });
      return;
    }
    if (this.buffered >= this.limit) {
      this.end(new QueueOverflowError(this.limit));
      return;
    }
    this.items.push(item);
  }

  /** No more items: the reader gets what is queued, then the end (or `error`). */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (error !== undefined) this.failure = { error };
    this.onEnd();
    if (this.reader && this.head === this.items.length) this.settleReader();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.items.length) {
      const value = this.items[this.head] as T;
      this.items[this.head++] = undefined as T;
      if (this.head === this.items.length) {
        this.items.length = 0;
        this.head = 0;
      }
      return Promise.resolve({ done: false, value });
    }
    if (this.ended) return this.failure ? Promise.reject(this.takeFailure()) : Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      this.reader = { resolve, reject };
    });
  }

  /** The reader is done: drop what is queued, settle a pending next(), clean up. */
  return(): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.head = 0;
    this.failure = undefined;
    this.end();
    this.settleReader();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private settleReader(): void {
    const reader = this.reader;
    this.reader = undefined;
    if (!reader) return;
    if (this.failure) reader.reject(this.takeFailure());
    else reader.resolve(DONE);
  }

  /** A failure is reported once; after it the queue is simply done. */
  private takeFailure(): unknown {
    const { error } = this.failure as { error: unknown };
    this.failure = undefined;
    return error;
  }
}
