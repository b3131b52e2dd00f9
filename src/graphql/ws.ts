/**
 * graphql-ws (WebSocket) subscriptions on the same path as HTTP, executed
 * through yoga's envelop plugins (limits, error masking) with the same context.
 */
import type { Server } from "node:http";
import type { ExecutionArgs, GraphQLError, parse as parseDocument } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import type { ApiKeys } from "../http/api-keys.js";
import { GRAPHQL_PATH, type Yoga } from "./yoga.js";

type Enveloped = ReturnType<Yoga["getEnveloped"]>;
interface EnvelopedRoot {
  execute: Enveloped["execute"];
  subscribe: Enveloped["subscribe"];
}

export interface GraphQLWebSocket {
  /** Open sockets right now. */
  clients(): number;
  close(): Promise<void>;
}

export function attachGraphQLWebSocket(server: Server, yoga: Yoga, apiKeys: ApiKeys): GraphQLWebSocket {
  const wss = new WebSocketServer({ server, path: GRAPHQL_PATH });
  const disposable = useServer(
    {
      // Browsers cannot set headers on a WebSocket: the key may come in connectionParams instead.
      onConnect: (ctx) => {
        const params = ctx.connectionParams ?? {};
        const fromParams = params.Authorization ?? params.authorization;
        return apiKeys.allows(typeof fromParams === "string" ? fromParams : ctx.extra.request.headers.authorization);
      },
      execute: (args: ExecutionArgs) => (args.rootValue as EnvelopedRoot).execute(args),
      subscribe: (args: ExecutionArgs) => (args.rootValue as EnvelopedRoot).subscribe(args),
      onSubscribe: async (ctx, _id, params) => {
        const enveloped = yoga.getEnveloped({ ...ctx, req: ctx.extra.request, socket: ctx.extra.socket, params });
        let document: ReturnType<typeof parseDocument>;
        try {
          document = enveloped.parse(params.query);
        } catch (error) {
          return [error as GraphQLError];
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors;
        return {
          schema: enveloped.schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe } satisfies EnvelopedRoot,
        };
      },
    },
    wss,
  );
  return {
    clients: () => wss.clients.size,
    async close() {
      for (const client of wss.clients) client.close(1001, "server shutting down");
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
