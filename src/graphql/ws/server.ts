/**
 * GraphQL over WebSocket (graphql-transport-ws, what Apollo, urql and
 * graphql-ws clients speak) on the same path as HTTP, with the same envelop
 * plugins (limits, masking) and context as yoga's HTTP side. The protocol is
 * served here rather than by graphql-ws's server so that a commit fans out
 * cheaply: one execution per event and operation, one write per socket per
 * turn (see operations.ts and corked-writes.ts).
 */
import type { IncomingMessage, Server } from "node:http";
import { WebSocketServer } from "ws";
import type { ApiKeys } from "../../http/api-keys.js";
import type { Logger } from "../../logger.js";
import { GRAPHQL_PATH, type Yoga } from "../yoga.js";
import { GraphQLConnection } from "./connection.js";
import { type MaskError, Operations } from "./operations.js";
import { handleProtocols } from "./protocol.js";

/** Time a client has to send connection_init (graphql-ws's default). */
const INIT_TIMEOUT_MS = 3000;
/** A ping this often; a client that has not answered by the next one is cut off. */
const DEFAULT_KEEP_ALIVE_MS = 12_000;

export interface GraphQLWebSocket {
  /** Open sockets right now. */
  clients(): number;
  close(): Promise<void>;
}

export interface GraphQLWebSocketOptions {
  yoga: Yoga;
  apiKeys: ApiKeys;
  maskError: MaskError;
  logger: Logger;
  /** The largest message a client may send (a larger one closes its socket with 1009). */
  maxMessageBytes: number;
  /** How often sockets are pinged; one that has not answered the last ping is cut off (default 12 s). */
  keepAliveMs?: number;
  /** Operations one socket may have open at once; a subscribe beyond gets an error for that id. */
  maxOperationsPerSocket: number;
  /** The largest result one subscription event may carry (larger: an error in its place). */
  maxResultBytes: number;
  /**
   * Why an upgrade request is refused (answered 403 with this text, before any
   * WebSocket exists), or undefined to accept it: see http/upgrade-check.ts.
   */
  refuseUpgrade: (request: IncomingMessage) => string | undefined;
}

export function attachGraphQLWebSocket(server: Server, options: GraphQLWebSocketOptions): GraphQLWebSocket {
  const { apiKeys, logger } = options;
  const wss = new WebSocketServer({
    server,
    path: GRAPHQL_PATH,
    handleProtocols: (offered) => handleProtocols(offered),
    maxPayload: options.maxMessageBytes,
    verifyClient: ({ req }, done) => {
      const refusal = options.refuseUpgrade(req);
      if (refusal === undefined) return done(true);
      logger.warn({ origin: req.headers.origin, host: req.headers.host, refusal }, "WebSocket upgrade refused");
      done(false, 403, refusal, { "Content-Type": "text/plain; charset=utf-8" });
    },
  });
  const operations = new Operations(options.yoga, options.maskError, options.maxResultBytes);
  const alive = new WeakSet<object>();
  wss.on("error", (error) => logger.error({ err: error }, "WebSocket server error"));
  wss.on("connection", (ws, request) => {
    alive.add(ws);
    ws.on("pong", () => alive.add(ws));
    // A frame that breaks the WebSocket protocol: ws closes the socket itself.
    ws.on("error", (error) => logger.warn({ err: error }, "WebSocket client error"));
    new GraphQLConnection(ws, request, {
      operations,
      initTimeoutMs: INIT_TIMEOUT_MS,
      maxOperations: options.maxOperationsPerSocket,
      logger,
      // Browsers cannot set headers on a WebSocket: the key may come in connectionParams instead.
      authorize: (params, upgrade) => {
        const fromParams = params?.Authorization ?? params?.authorization;
        return apiKeys.allows(typeof fromParams === "string" ? fromParams : upgrade.headers.authorization);
      },
    });
  });
  const keepAlive = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS);
  keepAlive.unref();
  return {
    clients: () => wss.clients.size,
    async close() {
      clearInterval(keepAlive);
      for (const client of wss.clients) client.close(1001, "server shutting down");
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
