export interface OpenCounter {
  inc(): void;
  dec(): void;
}

/**
 * Counts a subscription as open from its start until it ends for any reason
 * (client gone, completed, failed). Ending is immediate when the source's
 * return() is (the bus's streams settle a pending next() at once).
 */
export function countOpen<T>(counter: OpenCounter, source: AsyncIterableIterator<T>): AsyncIterableIterator<T> {
  counter.inc();
  let open = true;
  const close = () => {
    if (open) counter.dec();
    open = false;
  };
  return {
    async next() {
      try {
        const result = await source.next();
        if (result.done) close();
        return result;
      } catch (error) {
        close();
        throw error;
      }
    },
    async return() {
      close();
      return (await source.return?.()) ?? { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
