import { Repeater } from "graphql-yoga";

export interface OpenCounter {
  inc(): void;
  dec(): void;
}

const DONE = Symbol("done");

/**
 * Counts a subscription as open from its start until it ends for any reason
 * (client gone, completed, failed). Ending is immediate: the source's return()
 * is called as soon as the client leaves.
 */
export function countOpen<T>(counter: OpenCounter, source: AsyncIterable<T>): Repeater<T> {
  return new Repeater<T>(async (push, stop) => {
    counter.inc();
    const iterator = source[Symbol.asyncIterator]();
    const stopped = stop.then((): typeof DONE => DONE);
    try {
      for (;;) {
        const result = await Promise.race([iterator.next(), stopped]);
        if (result === DONE || result.done) break;
        await push(result.value);
      }
      stop();
    } catch (error) {
      stop(error);
    } finally {
      counter.dec();
      await iterator.return?.();
    }
  });
}
