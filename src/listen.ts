/**
 * Serves the app on a port, with graphql-ws on the same server, and knows how
 * to stop it: close WebSockets, stop accepting requests, finish open ones.
 */
import type { Server, ServerOptions } from "node:http";
import { type AddressInfo, isIP } from "node:net";
import { serve } from "@hono/node-server";
import { type AppDeps, createApp } from "./app.js";
import { createErrorMasker } from "./graphql/errors.js";
import { attachGraphQLWebSocket, type GraphQLWebSocket } from "./graphql/ws/server.js";
import { allowedHostsFor } from "./http/allowed-hosts.js";
import { ApiKeys } from "./http/api-keys.js";
import { AllowedOrigins } from "./http/origins.js";
import { upgradeRefusal } from "./http/upgrade-check.js";

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  ws: GraphQLWebSocket;
  close(): Promise<void>;
}

/** Listens on `hostname` (default: the HOST setting) and `port` (0: any free port). */
export async function listen(deps: AppDeps, port: number, hostname = deps.config.HOST): Promise<RunningServer> {
  const { app, yoga } = createApp(deps);
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port, hostname, serverOptions: requestTimeouts(deps.config) }, () =>
      resolve(s as Server),
    ) as Server;
  });
  const logger = deps.logger.child({ component: "graphql" });
  // The same origins as CORS and the same hosts as every HTTP request (app.ts).
  const upgradePolicy = { origins: new AllowedOrigins(deps.config.CORS_ORIGINS), hosts: allowedHostsFor(deps.config) };
  const ws = attachGraphQLWebSocket(server, {
    yoga,
    apiKeys: new ApiKeys(deps.config.API_KEYS),
    maskError: createErrorMasker(logger),
    logger,
    maxMessageBytes: deps.config.MAX_REQUEST_BYTES,
    maxOperationsPerSocket: deps.config.GRAPHQL_MAX_OPERATIONS_PER_SOCKET,
    maxResultBytes: deps.config.GRAPHQL_MAX_RESPONSE_BYTES,
    refuseUpgrade: (request) => upgradeRefusal(request.headers, upgradePolicy),
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    url: `http://${reachableHost(hostname)}:${actualPort}`,
    port: actualPort,
    server,
    ws,
    async close() {
      await ws.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // SSE streams and keep-alive sockets would hold close() open forever.
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      await yoga.dispose();
    },
  };
}

/**
 * How long a client may take to send its headers and its whole request. Node's
 * defaults (60 s and 300 s) let a body shorter than its Content-Length hold its
 * memory for minutes. Node checks them every connectionsCheckingInterval (30 s
 * by default, too coarse for short limits); they do not apply once a request
 * has arrived, so SSE streams and WebSockets are not cut off.
 */
function requestTimeouts(config: AppDeps["config"]): ServerOptions {
  const requestTimeout = config.HTTP_REQUEST_TIMEOUT_MS;
  // Node refuses a headers timeout longer than the request timeout.
  const headersTimeout = Math.min(config.HTTP_HEADERS_TIMEOUT_MS, requestTimeout);
  return { requestTimeout, headersTimeout, connectionsCheckingInterval: Math.min(1_000, headersTimeout / 2) };
}

/** Where this machine reaches a server bound to `hostname`: loopback for the any-address. */
function reachableHost(hostname: string): string {
  if (hostname === "0.0.0.0" || hostname === "::") return "127.0.0.1";
  return isIP(hostname) === 6 ? `[${hostname}]` : hostname;
}
