/**
 * Writes a subscription's results as GraphQL over SSE ("distinct
 * connections"), as yoga's own writer does (the same headers, an opening
 * comment, a ping comment while quiet, `event: next` per result and
 * `event: complete` at the end), plus an `id:` line for each result that has
 * one.
 */
import type { FetchAPI } from "graphql-yoga";

export interface EventResult {
  data?: unknown;
  errors?: readonly unknown[];
  extensions?: Record<string, unknown>;
}

/** Keeps proxies and browsers from closing a quiet stream (yoga pings as often). */
const PING_MS = 12_000;

const HEADERS = {
  "Content-Type": "text/event-stream",
  Connection: "keep-alive",
  "Cache-Control": "no-cache",
  "Content-Encoding": "none",
};

export function sseResponse(
  results: AsyncIterable<EventResult>,
  fetchAPI: FetchAPI,
  idOf: () => number | undefined,
): Response {
  const encoder = new fetchAPI.TextEncoder();
  const iterator = results[Symbol.asyncIterator]();
  let ping: NodeJS.Timeout | undefined;
  const body = new fetchAPI.ReadableStream<Uint8Array>({
    start(controller) {
      // Some browsers see no response until a first chunk arrives.
      controller.enqueue(encoder.encode(":\n\n"));
      ping = setInterval(() => {
        if (controller.desiredSize === null) clearInterval(ping);
        else if (controller.desiredSize > 0) controller.enqueue(encoder.encode(":\n\n"));
      }, PING_MS);
    },
    async pull(controller) {
      let next: IteratorResult<EventResult>;
      try {
        next = await iterator.next();
      } catch (error) {
        clearInterval(ping);
        controller.error(error);
        return;
      }
      if (next.value != null) {
        const id = idOf();
        const idLine = id === undefined ? "" : `id: ${id}\n`;
        controller.enqueue(encoder.encode(`${idLine}event: next\ndata: ${serialize(next.value)}\n\n`));
      }
      if (next.done) {
        clearInterval(ping);
        controller.enqueue(encoder.encode("event: complete\ndata:\n\n"));
        controller.close();
      }
    },
    async cancel() {
      clearInterval(ping);
      await iterator.return?.();
    },
  });
  return new fetchAPI.Response(body, { status: 200, headers: HEADERS });
}

/** A result as the client sees it: errors (masked already) without their internal extensions. */
function serialize(result: EventResult): string {
  const { extensions, errors, ...rest } = result;
  const { http: _http, ...publicExtensions } = extensions ?? {};
  return JSON.stringify({
    ...rest,
    ...(errors?.length ? { errors: errors.map(publicError) } : {}),
    ...(Object.keys(publicExtensions).length > 0 ? { extensions: publicExtensions } : {}),
  });
}

function publicError(error: unknown): unknown {
  const json = (error as { toJSON?: () => unknown }).toJSON?.() ?? error;
  if (typeof json !== "object" || json === null || !("extensions" in json)) return json;
  const {
    http: _http,
    unexpected: _unexpected,
    ...extensions
  } = (json as { extensions: Record<string, unknown> }).extensions;
  return { ...json, extensions };
}
