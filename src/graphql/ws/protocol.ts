/**
 * The graphql-transport-ws protocol (the one Apollo, urql and graphql-ws
 * clients speak): its close codes and the messages the server sends. Incoming
 * messages are checked with graphql-ws's own parser.
 */
import type { GraphQLFormattedError } from "graphql";
import { CloseCode, GRAPHQL_TRANSPORT_WS_PROTOCOL, handleProtocols } from "graphql-ws";

export { CloseCode, GRAPHQL_TRANSPORT_WS_PROTOCOL, handleProtocols };

/** WebSocket close reasons are at most 123 bytes. */
export function closeReason(text: string): string {
  return Buffer.byteLength(text) <= 123 ? text : `${text.slice(0, 100)}…`;
}

export function connectionAck(): string {
  return '{"type":"connection_ack"}';
}

export function pong(payload: unknown): string {
  return payload ? JSON.stringify({ type: "pong", payload }) : '{"type":"pong"}';
}

/** A `next` message around an execution result already serialized (shared by every subscriber). */
export function next(id: string, resultJson: string): string {
  return `{"id":${JSON.stringify(id)},"type":"next","payload":${resultJson}}`;
}

export function error(id: string, errors: readonly GraphQLFormattedError[]): string {
  return JSON.stringify({ id, type: "error", payload: errors });
}

export function complete(id: string): string {
  return JSON.stringify({ id, type: "complete" });
}
