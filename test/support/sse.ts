/**
 * A raw GraphQL-over-SSE reader that keeps every field of every event (id,
 * event, data), as a browser's EventSource sees them: a GET with the operation
 * in the query string and Accept: text/event-stream, and Last-Event-ID when
 * reconnecting.
 */
import type { Operation, Payload } from "./graphql-clients.js";

export interface SseEvent {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

/** The URL an EventSource would open for the operation. */
export function eventSourceUrl(httpUrl: string, operation: Operation): string {
  const url = new URL(`${httpUrl}/graphql`);
  url.searchParams.set("query", operation.query);
  if (operation.variables) url.searchParams.set("variables", JSON.stringify(operation.variables));
  return url.toString();
}

/**
 * Reads events until `stop` says so, the server ends the stream, or the
 * deadline passes (then it throws, with what arrived so far). Comments (pings)
 * are skipped.
 */
export async function readSse(
  url: string,
  options: {
    lastEventId?: string;
    stop?: (event: SseEvent) => boolean;
    /** Called once the response has begun: the server has opened the subscription. */
    onOpen?: () => void;
    timeoutMs?: number;
  } = {},
): Promise<{ events: SseEvent[]; ended: boolean }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.timeoutMs ?? 15_000);
  const events: SseEvent[] = [];
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (options.lastEventId !== undefined) headers["last-event-id"] = options.lastEventId;
  try {
    const response = await fetch(url, { headers, signal: abort.signal });
    if (!response.ok || !response.body) throw new Error(`SSE request failed: ${response.status}`);
    options.onOpen?.();
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return { events, ended: true };
        buffer += decoder.decode(value, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const event = parseEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (!event) continue;
          events.push(event);
          if (options.stop?.(event)) return { events, ended: false };
        }
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
  } catch (error) {
    if (abort.signal.aborted) {
      throw new Error(`no end of the SSE stream in time; received: ${JSON.stringify(events.map((e) => e.event))}`);
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function parseEvent(frame: string): SseEvent | undefined {
  const event: SseEvent = { id: undefined, event: undefined, data: "" };
  const data: string[] = [];
  let fields = 0;
  for (const line of frame.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    fields++;
    if (name === "id") event.id = value;
    else if (name === "event") event.event = value;
    else if (name === "data") data.push(value);
  }
  event.data = data.join("\n");
  return fields > 0 ? event : undefined;
}

/** The GraphQL result a `next` event carries. */
export function payloadOf(event: SseEvent): Payload {
  return JSON.parse(event.data) as Payload;
}
