/**
 * Redis pub/sub as the bus's event target, with channel names under the
 * deployment's prefix so several deployments can share one Redis.
 */
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import type { Redis } from "ioredis";
import type { BusEventTarget } from "./bus.js";

export function createPrefixedRedisEventTarget(publisher: Redis, subscriber: Redis, prefix: string): BusEventTarget {
  const inner = createRedisEventTarget({ publishClient: publisher, subscribeClient: subscriber });
  const channel = (topic: string) => `${prefix}:bus:${topic}`;
  const target: BusEventTarget = {
    addEventListener: (topic, listener, options) => inner.addEventListener(channel(topic), listener, options),
    removeEventListener: (topic, listener, options) => inner.removeEventListener(channel(topic), listener, options),
    dispatchEvent: (event) => {
      // Re-dispatch under the prefixed channel; the payload travels as `detail`.
      const prefixed = new CustomEvent(channel(event.type), { detail: (event as CustomEvent).detail });
      return inner.dispatchEvent(prefixed);
    },
  };
  return target;
}
