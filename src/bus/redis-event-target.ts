/**
 * Redis pub/sub as the bus's event target, with channel names under the
 * deployment's prefix so several deployments can share one Redis.
 */
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import type { Redis } from "ioredis";
import type { BusEventTarget } from "./bus.js";

export function createPrefixedRedisEventTarget(
  publisher: Redis,
  subscriber: Redis,
  prefix: string,
  /** A publish that failed (Redis down): the update is lost, subscribers catch up by seq. */
  onPublishError: (error: unknown) => void = () => {},
  /**
   * A SUBSCRIBE or UNSUBSCRIBE that failed. ioredis subscribes again on
   * reconnecting, and a subscription that missed messages catches up by seq.
   */
  onSubscribeError: (error: unknown) => void = () => {},
): BusEventTarget {
  // The library leaves its SUBSCRIBE and UNSUBSCRIBE promises floating: one that failed (Redis
  // down, a connection being set up) rejected unhandled and killed the process.
  // It uses only these three methods of its subscribe client.
  const guarded = {
    on: (event: "message", listener: (channel: string, message: string) => void) => subscriber.on(event, listener),
    subscribe: (channel: string) => subscriber.subscribe(channel).catch(onSubscribeError),
    unsubscribe: (channel: string) => subscriber.unsubscribe(channel).catch(onSubscribeError),
  };
  const inner = createRedisEventTarget({ publishClient: publisher, subscribeClient: guarded as unknown as Redis });
  const channel = (topic: string) => `${prefix}:bus:${topic}`;
  const target: BusEventTarget = {
    addEventListener: (topic, listener, options) => inner.addEventListener(channel(topic), listener, options),
    removeEventListener: (topic, listener, options) => inner.removeEventListener(channel(topic), listener, options),
    dispatchEvent: (event) => {
      // Published here rather than through inner.dispatchEvent, which leaves publish()'s
      // promise floating: with Redis down it rejected unhandled and killed the process
      // (found by `npm run chaos`). Same wire format: JSON of `detail`, "" for undefined.
      const detail: unknown = (event as CustomEvent).detail;
      publisher.publish(channel(event.type), detail === undefined ? "" : JSON.stringify(detail)).catch(onPublishError);
      return true;
    },
    // The inner target sends SUBSCRIBE without waiting for it. Redis answers commands on a
    // connection in order, so once this (idempotent) SUBSCRIBE is confirmed, so is that one.
    listening: async (topic) => {
      await subscriber.subscribe(channel(topic));
    },
  };
  return target;
}
