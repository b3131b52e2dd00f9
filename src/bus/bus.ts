/**
 * The update bus: typed topics over an event target. With the Redis event
 * target a change published by any worker reaches subscribers on any server;
 * the in-process target (embedded mode, tests) is the same bus in one process.
 *
 * One publish carries every change of one commit for one topic and id, as an
 * array (a finished step is three changes of its execution: one message on
 * the wire, not three); subscribers get the changes one by one, in order.
 */
import { createPubSub } from "@graphql-yoga/subscription";
import type { TypedEventTarget } from "@graphql-yoga/typed-event-target";
import type { ChangePublisher, EngineChange } from "../engine/ports.js";
import { ALL, type BusTopics } from "./topics.js";

// biome-ignore lint/suspicious/noExplicitAny: the event target carries any topic's payload
export type BusEventTarget = TypedEventTarget<any> & {
  /**
   * Resolves once messages for `topic` (a listener was just added) reach this
   * process. Redis confirms a SUBSCRIBE only after a round trip; until then a
   * publish is lost. Absent for the in-process target, which is live at once.
   */
  listening?(topic: string): Promise<void>;
};

type Topic = keyof BusTopics;
type Payload<T extends Topic> = BusTopics[T][1];
/** What travels: the changes of one commit for one topic and id. */
type WireTopics = { [T in Topic]: [id: string, payload: readonly Payload<T>[]] };

export interface Bus extends ChangePublisher {
  /** The changes published to `topic` for `id` (or ALL), one by one, from now on. */
  subscribe<T extends Topic>(topic: T, id: string): AsyncIterableIterator<Payload<T>>;
  /** After subscribing (and pulling once, which adds the listener): resolves when the subscription is live. */
  listening(topic: Topic, id?: string): Promise<void>;
}

export function createBus(eventTarget?: BusEventTarget): Bus {
  const pubsub = createPubSub<WireTopics>(eventTarget ? { eventTarget } : undefined);
  const listening = async (topic: Topic, id?: string) => {
    await eventTarget?.listening?.(id === undefined ? topic : `${topic}:${id}`);
  };
  const publishChanges = async (changes: readonly EngineChange[]) => {
    const outgoing = new Outgoing();
    for (const change of changes) {
      switch (change.type) {
        case "execution": {
          const payload = { kind: "execution" as const, ...omitType(change) };
          outgoing.add("executionUpdated", change.executionId, payload);
          outgoing.add("executionsChanged", change.workflowId, payload);
          outgoing.add("executionsChanged", ALL, payload);
          break;
        }
        case "step": {
          const payload = { kind: "step" as const, ...omitType(change) };
          outgoing.add("executionUpdated", change.executionId, payload);
          outgoing.add("stepUpdated", change.executionId, payload);
          break;
        }
        case "notification": {
          const payload = omitType(change);
          outgoing.add("notificationSent", change.toRole, payload);
          outgoing.add("notificationSent", ALL, payload);
          break;
        }
      }
    }
    for (const { topic, id, payloads } of outgoing.messages()) {
      (pubsub.publish as (topic: Topic, id: string, payload: readonly unknown[]) => void)(topic, id, payloads);
    }
  };
  const subscribe = <T extends Topic>(topic: T, id: string) =>
    oneByOne<Payload<T>>(
      (pubsub.subscribe as (topic: T, id: string) => AsyncIterable<readonly Payload<T>[]>)(topic, id),
    );
  return { subscribe, publishChanges, listening };
}

/** Changes grouped by topic and id, each group in the order its changes were added. */
class Outgoing {
  private readonly groups = new Map<string, { topic: Topic; id: string; payloads: unknown[] }>();

  add<T extends Topic>(topic: T, id: string, payload: Payload<T>): void {
    const key = `${topic}\u0000${id}`;
    const group = this.groups.get(key);
    if (group) group.payloads.push(payload);
    else this.groups.set(key, { topic, id, payloads: [payload] });
  }

  messages() {
    return this.groups.values();
  }
}

/**
 * The items of the arrays `source` yields, one at a time. A lone item (what a
 * publisher from before arrays sent) passes as is. Ending this ends `source`
 * at once, even while a next() is pending.
 */
function oneByOne<T>(source: AsyncIterable<readonly T[] | T>): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let pending: T[] = [];
  const done = { done: true, value: undefined } as const;
  return {
    async next(): Promise<IteratorResult<T>> {
      while (pending.length === 0) {
        const result = await iterator.next();
        if (result.done) return done;
        pending = Array.isArray(result.value) ? [...(result.value as readonly T[])] : [result.value as T];
      }
      return { done: false, value: pending.shift() as T };
    },
    async return(): Promise<IteratorResult<T>> {
      pending = [];
      await iterator.return?.();
      return done;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

function omitType<T extends { type: string }>(change: T): Omit<T, "type"> {
  const { type: _type, ...rest } = change;
  return rest;
}
