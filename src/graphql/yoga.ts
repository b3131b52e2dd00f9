/**
 * The GraphQL server: yoga over the Pothos schema, with GraphiQL, GET/POST,
 * SSE subscriptions, masked errors and query limits. graphql-ws (WebSocket)
 * goes through the same envelop plugins and context; see ws.ts.
 */

import { isUtf8 } from "node:buffer";
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { createGraphQLError, createYoga, type Plugin, type YogaServerInstance } from "graphql-yoga";
import type { GraphQLContext } from "./context.js";
import { costLimitRule } from "./cost.js";
import type { GraphQLDeps } from "./deps.js";
import { clarifyArmorRejection, createErrorMasker, tagArmorRejection, yogaLogging } from "./errors.js";
import { renderGraphiQLPage } from "./graphiql-page.js";
import { useResumableSse } from "./live/sse-event-ids.js";
import { useResponseSizeLimit } from "./response-size.js";
import { schema } from "./schema.js";

export const GRAPHQL_PATH = "/graphql";

export type Yoga = YogaServerInstance<Record<string, unknown>, GraphQLContext>;

export function createGraphQLServer(deps: GraphQLDeps): Yoga {
  const { config, logger } = deps;
  const graphqlLogger = logger.child({ component: "graphql" });
  return createYoga<Record<string, unknown>, GraphQLContext>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    // Node's own fetch classes: the HTTP layer (Hono) then passes yoga's responses
    // through untouched. With the ponyfill, Hono re-wraps the body as an async
    // iterable, and a client leaving an SSE stream made undici close a cancelled
    // stream: an uncaught exception that would take the server down.
    fetchAPI: {
      Request,
      Response,
      Headers,
      ReadableStream,
      WritableStream,
      TransformStream,
      TextEncoder,
      TextDecoder,
      URL,
      URLSearchParams,
      FormData,
      Blob,
      File,
      fetch,
      crypto,
    },
    landingPage: false,
    // CORS is answered by the HTTP app for every route alike (see app.ts).
    cors: false,
    // GraphiQL from the installed package, served by this server (no CDN: it works offline).
    // Subscriptions over SSE on this endpoint, as yoga's GraphiQL sends them.
    graphiql: {
      title: "Workflow engine",
      defaultQuery: EXAMPLE_QUERY,
      endpoint: GRAPHQL_PATH,
      subscriptionsProtocol: "SSE",
    },
    renderGraphiQL: renderGraphiQLPage,
    // A fresh context per operation; resolvers see services, never the HTTP request.
    context: ({ request }) => ({
      services: deps.services,
      db: deps.db,
      bus: deps.bus,
      logger: graphqlLogger,
      subscriptionsOpen: deps.metrics.subscriptionsOpen,
      // The caller's trace, for sendEvent's ingestion span (traces on): a header, not the request.
      // Over graphql-ws there is no request (the socket's context has none), so none is read.
      traceparent: (request as Request | undefined)?.headers.get("traceparent") ?? undefined,
    }),
    maskedErrors: { maskError: createErrorMasker(graphqlLogger) },
    logging: yogaLogging(graphqlLogger),
    plugins: [
      strictUtf8Bodies(),
      EnvelopArmorPlugin({
        maxDepth: { n: config.GRAPHQL_MAX_DEPTH, onReject: [tagArmorRejection] },
        // Ours counts list sizes (cost.ts); armor's ignores arguments.
        costLimit: { enabled: false },
        maxAliases: { n: config.GRAPHQL_MAX_ALIASES, onReject: [tagArmorRejection] },
        maxTokens: { n: config.GRAPHQL_MAX_TOKENS, onReject: [clarifyArmorRejection] },
        maxDirectives: { n: 20, onReject: [tagArmorRejection] },
        // Suggestions ("did you mean…") are helpful in GraphiQL and reveal nothing private here.
        blockFieldSuggestion: { enabled: false },
      }),
      useCostLimit(config.GRAPHQL_MAX_COST),
      useResponseSizeLimit(config.GRAPHQL_MAX_RESPONSE_BYTES),
      // executionUpdated over SSE: `id:` lines, and Last-Event-ID to resume.
      useResumableSse(),
    ],
  });
}

/** The list-size cost estimate (cost.ts) as a validation rule: HTTP, SSE and WebSocket operations alike. */
function useCostLimit(maxCost: number): Plugin {
  const rule = costLimitRule(maxCost);
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(rule);
    },
  };
}

/** JSON is UTF-8 (RFC 8259): a body with bad bytes is refused, not read with U+FFFD in their place. */
function strictUtf8Bodies(): Plugin {
  return {
    async onRequestParse({ request }) {
      if (request.method !== "POST" || request.body === null) return;
      if (!isUtf8(new Uint8Array(await request.clone().arrayBuffer()))) {
        throw createGraphQLError("POST body is not valid UTF-8.", {
          extensions: { code: "BAD_REQUEST", http: { status: 400 } },
        });
      }
    },
  };
}

const EXAMPLE_QUERY = `# Send an event, then watch the execution it started:
#   subscription { executionUpdated(id: "…") { seq kind status nodeId execution { status } } }
query Workflows {
  workflows(first: 10) {
    edges { node { id name version isActive trigger } }
  }
  nodeTypes { type description }
}
`;
