/**
 * The update bus: typed topics over an event target. With the Redis event
 * target a change published by any worker reaches subscribers on any server;
 * the in-process target (embedded mode, tests) is the same bus in one process.
 *
 * One publish carries every change of one commit for one topic and id, as an
 * array (a finished step is three changes of its execution: one message on
 * the wire, not three); subscribers get the changes one by one, in order.
 *
 * A commit is published on at most three channels: its execution's
 * (executionUpdated), every workflow's execution statuses (executionsChanged
 * "*") and every role's notifications (notificationSent "*"); a cancellation
 * also on executionCancelled "*", which workers hear. The narrower
 * topics are those channels filtered where they are heard (see CHANNELS):
 * stepUpdated is an execution's channel without its execution changes, a
 * workflow's executionsChanged and a role's notificationSent are the "*"
 * channel for that workflow or role. Publishing each change once per topic
 * and id instead (up to seven publishes per commit, each serialized and
 * handled by Redis whether anyone listened or not) cost ≈ 3 % of Lead
 * routing's throughput.
 */
import { createPubSub } from "@graphql-yoga/subscription";
import type { TypedEventTarget } from "@graphql-yoga/typed-event-target";
import type { ChangePublisher, PublishedChange } from "../engine/index.js";
import { AsyncQueue } from "./async-queue.js";
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
/** The topics that have channels of their own; the others are read from these. */
type ChannelTopic =
  | "executionUpdated"
  | "executionsChanged"
  | "notificationSent"
  | "executionCancelled"
  | "replayUpdated";
/** What travels: the changes of one commit for one channel. */
type WireTopics = { [T in ChannelTopic]: [id: string, payload: readonly Payload<T>[]] };

/** Where each topic's changes are heard: a channel, and which of its changes belong to the topic and id. */
interface Channel {
  topic: ChannelTopic;
  id: string;
  keeps(change: unknown): boolean;
}

const everything = () => true;

const CHANNELS: { [T in Topic]: (id: string) => Channel } = {
  executionUpdated: (executionId) => ({ topic: "executionUpdated", id: executionId, keeps: everything }),
  stepUpdated: (executionId) => ({
    topic: "executionUpdated",
    id: executionId,
    keeps: (change) => (change as Payload<"executionUpdated">).kind === "step",
  }),
  executionsChanged: (workflowId) => ({
    topic: "executionsChanged",
    id: ALL,
    keeps:
      workflowId === ALL ? everything : (change) => (change as Payload<"executionsChanged">).workflowId === workflowId,
  }),
  notificationSent: (toRole) => ({
    topic: "notificationSent",
    id: ALL,
    keeps: toRole === ALL ? everything : (change) => (change as Payload<"notificationSent">).toRole === toRole,
  }),
  executionCancelled: () => ({ topic: "executionCancelled", id: ALL, keeps: everything }),
  replayUpdated: (replayId) => ({ topic: "replayUpdated", id: replayId, keeps: everything }),
};

export interface Bus extends ChangePublisher {
  /**
   * The changes published to `topic` for `id` (or ALL), one by one, from now
   * on. Every subscriber gets the same change objects (parsed once), to read,
   * never to modify. Ending the iterator removes its listener at once.
   */
  subscribe<T extends Topic>(topic: T, id: string): AsyncIterableIterator<Payload<T>>;
  /**
   * The same as callbacks: `onChange` hears each change from now on, until the
   * returned function is called. For streams that handle most changes at once,
   * without a promise per change.
   */
  listen<T extends Topic>(topic: T, id: string, onChange: (change: Payload<T>) => void): () => void;
  /** After subscribing: resolves when the subscription is live. */
  listening(topic: Topic, id?: string): Promise<void>;
}

export function createBus(eventTarget?: BusEventTarget): Bus {
  const target: BusEventTarget = eventTarget ?? new EventTarget();
  const pubsub = createPubSub<WireTopics>({ eventTarget: target });
  const listening = async (topic: Topic, id?: string) => {
    if (id === undefined) return eventTarget?.listening?.(topic);
    const channel = CHANNELS[topic](id);
    await eventTarget?.listening?.(`${channel.topic}:${channel.id}`);
  };
  const publishChanges = async (changes: readonly PublishedChange[]) => {
    const outgoing = new Outgoing();
    for (const change of changes) {
      switch (change.type) {
        case "execution": {
          const { abortsRunning, ...announced } = change;
          const payload = { kind: "execution" as const, ...omitType(announced) };
          outgoing.add("executionUpdated", change.executionId, payload);
          outgoing.add("executionsChanged", ALL, payload);
          if (change.status === "CANCELLED" || abortsRunning) outgoing.add("executionCancelled", ALL, payload);
          break;
        }
        case "step":
          outgoing.add("executionUpdated", change.executionId, { kind: "step" as const, ...omitType(change) });
          break;
        case "notification":
          outgoing.add("notificationSent", ALL, omitType(change));
          break;
        case "replay":
          outgoing.add("replayUpdated", change.replayId, omitType(change));
          break;
      }
    }
    for (const { topic, id, payloads } of outgoing.messages()) {
      (pubsub.publish as (topic: ChannelTopic, id: string, payload: readonly unknown[]) => void)(topic, id, payloads);
    }
  };
  const listen = <T extends Topic>(topic: T, id: string, onChange: (change: Payload<T>) => void) => {
    const { topic: channelTopic, id: channelId, keeps } = CHANNELS[topic](id);
    const channel = `${channelTopic}:${channelId}`; // the channel createPubSub publishes `topic` and `id` on
    const hear = (change: unknown) => {
      if (keeps(change)) onChange(change as Payload<T>);
    };
    const listener = (event: Event) => {
      const message = (event as CustomEvent<readonly unknown[] | unknown>).detail;
      // A lone item (what a publisher from before arrays sent) passes as is.
      if (Array.isArray(message)) for (const change of message) hear(change);
      else hear(message);
    };
    target.addEventListener(channel, listener);
    return () => target.removeEventListener(channel, listener);
  };
  const subscribe = <T extends Topic>(topic: T, id: string): AsyncIterableIterator<Payload<T>> => {
    let unlisten = () => {};
    const queue = new AsyncQueue<Payload<T>>(() => unlisten());
    unlisten = listen(topic, id, (change) => queue.push(change));
    return queue;
  };
  return { subscribe, listen, publishChanges, listening };
}

/** Changes grouped by topic and id, each group in the order its changes were added. */
class Outgoing {
  private readonly groups = new Map<string, { topic: ChannelTopic; id: string; payloads: unknown[] }>();

  add<T extends ChannelTopic>(topic: T, id: string, payload: Payload<T>): void {
    const key = `${topic}\u0000${id}`;
    const group = this.groups.get(key);
    if (group) group.payloads.push(payload);
    else this.groups.set(key, { topic, id, payloads: [payload] });
  }

  messages() {
    return this.groups.values();
  }
}

function omitType<T extends { type: string }>(change: T): Omit<T, "type"> {
  const { type: _type, ...rest } = change;
  return rest;
}
