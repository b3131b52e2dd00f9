/**
 * Real GraphQL clients against a real server: graphql-ws over WebSocket (the
 * protocol Apollo and urql use) and GraphQL over SSE (yoga's distinct-connection mode).
 */
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";

export interface Operation {
  query: string;
  variables?: Record<string, unknown>;
}

// biome-ignore lint/suspicious/noExplicitAny: payloads are shaped by the query and checked by assertions
export type Payload = { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };

export function wsClient(httpUrl: string): Client {
  return createClient({ url: `${httpUrl.replace(/^http/, "ws")}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
}

/**
 * Collects payloads until `done` says so, then ends the subscription.
 * `onEach` sees every payload as it arrives.
 */
export async function collectWs(
  client: Client,
  operation: Operation,
  done: (p: Payload) => boolean,
): Promise<Payload[]> {
  const received: Payload[] = [];
  const iterator = client.iterate(operation);
  for await (const payload of iterator) {
    received.push(payload as Payload);
    if (done(payload as Payload)) break;
  }
  return received;
}

/** A subscription over SSE: POST with Accept: text/event-stream, read `next` events until done. */
export async function collectSse(
  httpUrl: string,
  operation: Operation,
  done: (p: Payload) => boolean,
): Promise<Payload[]> {
  const response = await fetch(`${httpUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify(operation),
  });
  if (!response.ok || !response.body) throw new Error(`SSE request failed: ${response.status}`);
  const received: Payload[] = [];
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done: ended } = await reader.read();
      if (ended) return received;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = frame
          .split("\n")
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).trimStart())
          .join("\n");
        if (event === "complete") return received;
        if (data && (event === "next" || event === undefined)) {
          const payload = JSON.parse(data) as Payload;
          received.push(payload);
          if (done(payload)) return received;
        }
      }
    }
  } finally {
    // Cancelling the reader closes the connection; the server then ends the subscription.
    await reader.cancel().catch(() => {});
  }
}
