/**
 * The graphql-transport-ws protocol (the one Apollo, urql and graphql-ws
 * clients speak): its close codes and the messages the server sends. Incoming
 * messages are checked with graphql-ws's own parser.
 */
import type { GraphQLFormattedError } from "graphql";
import { CloseCode, GRAPHQL_TRANSPORT_WS_PROTOCOL, handleProtocols } from "graphql-ws";

export { CloseCode, GRAPHQL_TRANSPORT_WS_PROTOCOL, handleProtocols };

/** A close reason of at most 123 bytes, as WebSocket requires (ws throws on a longer one). */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= 123) return text;
  let cut = text.slice(0, 120);
  while (Buffer.byteLength(cut) > 120) cut = cut.slice(0, -1);
  return `${cut}…`; // the ellipsis is 3 bytes
}

export function connectionAck(): string {
  return '{"type":"connection_ack"}';
}

export function pong(payload: unknown): string {
  return payload ? JSON.stringify({ type: "pong", payload }) : '{"type":"pong"}';
}

/**
 * A `next` message is built from two pieces: a body every subscriber of an
 * operation shares (made once per result) and a tail of the subscriber's own
 * (its id, made once per operation). Joining two buffers costs a copy; the
 * text of a thousand messages would each be built and encoded to UTF-8 anew.
 */
export function nextBody(resultJson: string): Buffer {
  return Buffer.from(`{"type":"next","payload":${resultJson},"id":`);
}

export function nextTail(id: string): Buffer {
  return Buffer.from(`${JSON.stringify(id)}}`);
}

export function next(body: Buffer, tail: Buffer): Buffer {
  return Buffer.concat([body, tail], body.length + tail.length);
}

export function error(id: string, errors: readonly GraphQLFormattedError[]): string {
  return JSON.stringify({ id, type: "error", payload: errors });
}

export function complete(id: string): string {
  return JSON.stringify({ id, type: "complete" });
}
