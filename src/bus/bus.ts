/**
 * The update bus: typed topics over an event target. With the Redis event
 * target a change published by any worker reaches subscribers on any server;
 * the in-process target (embedded mode, tests) is the same bus in one process.
 */
import { createPubSub, type PubSub } from "@graphql-yoga/subscription";
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

export interface Bus extends ChangePublisher {
  /** Subscribe here (GraphQL subscriptions); publish engine changes through publishChanges. */
  readonly pubsub: PubSub<BusTopics>;
  /** After subscribing (and pulling once, which adds the listener): resolves when the subscription is live. */
  listening(topic: keyof BusTopics, id?: string): Promise<void>;
}

export function createBus(eventTarget?: BusEventTarget): Bus {
  const pubsub = createPubSub<BusTopics>(eventTarget ? { eventTarget } : undefined);
  const listening = async (topic: keyof BusTopics, id?: string) => {
    await eventTarget?.listening?.(id === undefined ? topic : `${topic}:${id}`);
  };
  const publishChanges = async (changes: readonly EngineChange[]) => {
    for (const change of changes) {
      switch (change.type) {
        case "execution": {
          const payload = { kind: "execution" as const, ...omitType(change) };
          pubsub.publish("executionUpdated", change.executionId, payload);
          pubsub.publish("executionsChanged", change.workflowId, payload);
          pubsub.publish("executionsChanged", ALL, payload);
          break;
        }
        case "step": {
          const payload = { kind: "step" as const, ...omitType(change) };
          pubsub.publish("executionUpdated", change.executionId, payload);
          pubsub.publish("stepUpdated", change.executionId, payload);
          break;
        }
        case "notification": {
          const payload = omitType(change);
          pubsub.publish("notificationSent", change.toRole, payload);
          pubsub.publish("notificationSent", ALL, payload);
          break;
        }
      }
    }
  };
  return { pubsub, publishChanges, listening };
}

function omitType<T extends { type: string }>(change: T): Omit<T, "type"> {
  const { type: _type, ...rest } = change;
  return rest;
}
