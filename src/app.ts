/**
 * Builds the HTTP application from dependencies: GraphQL (with GraphiQL and
 * SSE), the REST routes of the original engine with their OpenAPI document and
 * docs page, and health endpoints. Nothing listens here (see listen.ts).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Deps } from "./deps.js";
import { mountGraphiQLAssets } from "./graphql/graphiql-assets.js";
import { createGraphQLServer, GRAPHQL_PATH, type Yoga } from "./graphql/yoga.js";
import { allowedHostsFor, hostRefusal } from "./http/allowed-hosts.js";
import { ApiKeys } from "./http/api-keys.js";
import { declaredBodyLimit } from "./http/body-limit.js";
import { mountConsole } from "./http/console-assets.js";
import { corsHeaders } from "./http/cors.js";
import { contentTypeRefusal, isJsonContentType } from "./http/json-content-type.js";
import { AllowedOrigins } from "./http/origins.js";
import { errorResponse } from "./rest/errors.js";
import { mountOpenApi } from "./rest/openapi.js";
import { mountRestRoutes } from "./rest/routes.js";

export type AppDeps = Pick<Deps, "config" | "services" | "db" | "bus" | "logger" | "checkReady" | "metrics">;

export function createApp(deps: AppDeps): { app: OpenAPIHono; yoga: Yoga } {
  const { config } = deps;
  // strict: false accepts a trailing slash (/workflows/), as the original engine did.
  const app = new OpenAPIHono({ strict: false });
  const yoga = createGraphQLServer(deps);

  // DNS rebinding: a name the server does not go by (embedded mode, or ALLOWED_HOSTS set) is refused first.
  const hosts = allowedHostsFor(config);
  if (hosts !== undefined) {
    app.use("*", async (c, next) => {
      const host = c.req.header("host");
      return hosts.allows(host) ? next() : refuse(c, 403, "FORBIDDEN", hostRefusal(host ?? ""));
    });
  }
  app.use("*", corsHeaders({ origins: new AllowedOrigins(config.CORS_ORIGINS), maxAge: 600 }));
  app.use(
    "*",
    declaredBodyLimit({
      maxSize: config.MAX_REQUEST_BYTES,
      onError: (c) =>
        c.req.path.startsWith(GRAPHQL_PATH)
          ? refuse(c, 413, "PAYLOAD_TOO_LARGE", `request body larger than ${config.MAX_REQUEST_BYTES} bytes`)
          : refuse(c, 413, "PAYLOAD_TOO_LARGE", `Request body larger than ${config.MAX_REQUEST_BYTES} bytes`),
    }),
  );

  // Health endpoints stay open (they are registered before the key check runs).
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const checks = await deps.checkReady();
    const ready = Object.values(checks).every(Boolean);
    return c.json({ status: ready ? "ready" : "unavailable", checks }, ready ? 200 : 503);
  });

  mountConsole(app); // the web console's page and assets: open, like health (the app asks for a key)

  const apiKeys = new ApiKeys(config.API_KEYS);
  app.use("*", async (c, next) => {
    if (apiKeys.allows(c.req.header("authorization"))) return next();
    c.header("WWW-Authenticate", 'Bearer realm="workflow-engine"');
    return refuse(c, 401, "UNAUTHENTICATED", "Not authenticated: send Authorization: Bearer <API key>");
  });

  // GraphiQL's script, styles and editor workers, from the installed package (behind the key like its page).
  mountGraphiQLAssets(app);

  app.get("/metrics", async (c) =>
    c.body(await deps.metrics.registry.metrics(), 200, { "content-type": deps.metrics.registry.contentType }),
  );

  app.all(GRAPHQL_PATH, async (c) => {
    // Only JSON, so no cross-site form or no-cors fetch runs a mutation (http/json-content-type.ts).
    const contentType = c.req.header("content-type");
    if (c.req.method === "POST" && !isJsonContentType(contentType)) {
      return refuse(c, 415, "BAD_REQUEST", contentTypeRefusal(contentType, "the operation"));
    }
    const response = await yoga.fetch(c.req.raw, {});
    // yoga reads application/json and application/graphql+json, exactly as written, and refuses
    // another JSON type (application/vnd.api+json, Application/JSON) with a bare 415: say why.
    if (response.status !== 415) return response;
    return refuse(c, 415, "BAD_REQUEST", contentTypeRefusal(contentType, "the operation"));
  });

  const rest = mountRestRoutes(app, deps);
  mountOpenApi(app);
  app.notFound((c) => rest.notFound(c));
  app.onError((error, c) => errorResponse(c, error, deps.logger));
  return { app, yoga };
}

/** A request refused before any route runs: a GraphQL error on /graphql, FastAPI's `detail` elsewhere. */
function refuse(c: Context, status: ContentfulStatusCode, code: string, message: string): Response {
  return c.req.path.startsWith(GRAPHQL_PATH)
    ? c.json({ errors: [{ message, extensions: { code } }] }, status)
    : c.json({ detail: message }, status);
}
