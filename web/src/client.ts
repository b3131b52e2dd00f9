/**
 * The console's connection to the public GraphQL API: urql over HTTP for
 * queries and mutations, graphql-ws for subscriptions, the API key (if any)
 * sent as `Authorization: Bearer` on both (in connectionParams for the socket:
 * browsers cannot set headers on a WebSocket).
 *
 * urql's document cache: the live parts of the console (execution lists,
 * execution pages, the feed) are kept by subscriptions merged by seq in our
 * own stores, not by a normalized cache; the document cache only needs to
 * refetch a list after a mutation touches its typenames, which it does.
 */
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from "urql";

export interface Connection {
  client: Client;
  ws: WsClient;
  dispose(): void;
}

/** graphql-ws close code for a refused API key. */
export const KEY_REFUSED_CLOSE_CODE = 4403;

function isCloseEvent(value: unknown): value is { code: number } {
  return typeof value === "object" && value !== null && "code" in value && typeof value.code === "number";
}

export function createConnection(apiKey: string | null, onUnauthorized: () => void): Connection {
  const httpUrl = `${window.location.origin}/graphql`;
  const authorization = apiKey ? `Bearer ${apiKey}` : undefined;
  const ws = createWsClient({
    url: httpUrl.replace(/^http/, "ws"),
    connectionParams: authorization ? { Authorization: authorization } : {},
    // Keep trying through a server restart; a refused key is final.
    retryAttempts: Number.POSITIVE_INFINITY,
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** retries, 4000))),
    shouldRetry: (event) => !(isCloseEvent(event) && event.code === KEY_REFUSED_CLOSE_CODE),
    on: {
      closed: (event) => {
        if (isCloseEvent(event) && event.code === KEY_REFUSED_CLOSE_CODE) onUnauthorized();
      },
    },
  });
  const client = new Client({
    url: httpUrl,
    preferGetMethod: false,
    fetchOptions: (): RequestInit => (authorization ? { headers: { authorization } } : {}),
    exchanges: [
      mapExchange({
        onError(error) {
          if (error.response?.status === 401) onUnauthorized();
        },
      }),
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? "" };
          return { subscribe: (sink) => ({ unsubscribe: ws.subscribe(input, sink) }) };
        },
      }),
    ],
  });
  return { client, ws, dispose: () => void ws.dispose() };
}
