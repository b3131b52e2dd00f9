/**
 * Concurrent REST clients sending events, as a careful real client would: each
 * event has an Idempotency-Key, and a try that failed at the network level or
 * got a 5xx (or 429) is sent again with the same key. An event counts as
 * accepted once any try got a 2xx.
 */

import { sleep } from "./util.js";
import { EVENT_KINDS, EVENT_ROTATION, type EventKind } from "./workflows.js";

export interface SentEvent {
  key: string;
  kind: EventKind;
  /** When the first try was sent (ms since the epoch). */
  firstTryAt: number;
  accepted?: { at: number; eventId: string; executionIds: string[]; duplicate: boolean };
  tries: number;
  /** Non-2xx statuses answered, and tries that got no answer at all. */
  answers: number[];
  networkErrors: number;
  /** A 4xx, or no acceptance before the client gave up. */
  rejected?: string;
}

export interface LoadOptions {
  baseUrl: string;
  label: string;
  clients: number;
  /** Pause between one client's events. */
  pauseMs: number;
  /** A client retries one event for at most this long. */
  giveUpMs: number;
}

interface EventsAnswer {
  matched: number;
  execution_ids: string[];
  event_id: string;
  duplicate: boolean;
}

export class Load {
  readonly sent: SentEvent[] = [];
  private stopping = false;
  private readonly clients: Promise<void>[];

  constructor(private readonly options: LoadOptions) {
    this.clients = Array.from({ length: options.clients }, (_, client) => this.client(client));
  }

  /** Stops sending new events; resolves once every event in flight is accepted or given up. */
  async stop(): Promise<SentEvent[]> {
    this.stopping = true;
    await Promise.all(this.clients);
    return this.sent;
  }

  private async client(client: number): Promise<void> {
    for (let n = 0; !this.stopping; n++) {
      const kind = EVENT_ROTATION[(n + client) % EVENT_ROTATION.length] as EventKind;
      await this.send({
        key: `${this.options.label}-c${client}-${n}`,
        kind,
        firstTryAt: Date.now(),
        tries: 0,
        answers: [],
        networkErrors: 0,
      });
      await sleep(this.options.pauseMs);
    }
  }

  private async send(event: SentEvent): Promise<void> {
    this.sent.push(event);
    const body = JSON.stringify({ ...EVENT_KINDS[event.kind].payload, chaosKey: event.key });
    const deadline = event.firstTryAt + this.options.giveUpMs;
    for (let backoff = 100; ; backoff = Math.min(backoff * 2, 1000)) {
      event.tries += 1;
      try {
        const response = await fetch(`${this.options.baseUrl}/events`, {
          method: "POST",
          headers: { "content-type": "application/json", "idempotency-key": event.key },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        if (response.ok) {
          const answer = JSON.parse(text) as EventsAnswer;
          event.accepted = {
            at: Date.now(),
            eventId: answer.event_id,
            executionIds: answer.execution_ids,
            duplicate: answer.duplicate,
          };
          return;
        }
        event.answers.push(response.status);
        if (response.status < 500 && response.status !== 429) {
          event.rejected = `HTTP ${response.status}: ${text.slice(0, 200)}`;
          return;
        }
      } catch {
        event.networkErrors += 1;
      }
      if (Date.now() + backoff > deadline) {
        event.rejected = `not accepted after ${event.tries} tries`;
        return;
      }
      await sleep(backoff);
    }
  }
}
