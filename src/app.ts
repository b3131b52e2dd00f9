/**
 * Builds the HTTP application from dependencies: GraphQL (with GraphiQL and
 * SSE), the REST routes of the original engine with their OpenAPI document and
 * docs page, and health endpoints. Nothing listens here (see listen.ts).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Deps } from "./deps.js";
import { createGraphQLServer, GRAPHQL_PATH, type Yoga } from "./graphql/yoga.js";
import { ApiKeys } from "./http/api-keys.js";
import { declaredBodyLimit } from "./http/body-limit.js";
import { corsHeaders } from "./http/cors.js";
import { errorResponse } from "./rest/errors.js";
import { mountOpenApi } from "./rest/openapi.js";
import { mountRestRoutes } from "./rest/routes.js";

export type AppDeps = Pick<Deps, "config" | "services" | "db" | "bus" | "logger" | "checkReady" | "metrics">;

export function createApp(deps: AppDeps): { app: OpenAPIHono; yoga: Yoga } {
  const { config } = deps;
  // strict: false accepts a trailing slash (/workflows/), as the original engine did.
  const app = new OpenAPIHono({ strict: false });
  const yoga = createGraphQLServer(deps);

  app.use("*", corsHeaders({ origins: config.CORS_ORIGINS, maxAge: 600 }));
  app.use(
    "*",
    declaredBodyLimit({
      maxSize: config.MAX_REQUEST_BYTES,
      onError: (c) =>
        c.req.path.startsWith(GRAPHQL_PATH)
          ? c.json(
              {
                errors: [
                  {
                    message: `request body larger than ${config.MAX_REQUEST_BYTES} bytes`,
                    extensions: { code: "PAYLOAD_TOO_LARGE" },
                  },
                ],
              },
              413,
            )
          : c.json({ detail: `Request body larger than ${config.MAX_REQUEST_BYTES} bytes` }, 413),
    }),
  );

  // Health endpoints stay open (they are registered before the key check runs).
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const checks = await deps.checkReady();
    const ready = Object.values(checks).every(Boolean);
    return c.json({ status: ready ? "ready" : "unavailable", checks }, ready ? 200 : 503);
  });

  const apiKeys = new ApiKeys(config.API_KEYS);
  app.use("*", async (c, next) => {
    if (apiKeys.allows(c.req.header("authorization"))) return next();
    c.header("WWW-Authenticate", 'Bearer realm="workflow-engine"');
    const message = "Not authenticated: send Authorization: Bearer <API key>";
    return c.req.path.startsWith(GRAPHQL_PATH)
      ? c.json({ errors: [{ message, extensions: { code: "UNAUTHENTICATED" } }] }, 401)
      : c.json({ detail: message }, 401);
  });

  app.get("/metrics", async (c) =>
    c.body(await deps.metrics.registry.metrics(), 200, { "content-type": deps.metrics.registry.contentType }),
  );

  app.all(GRAPHQL_PATH, async (c) => {
    const response = await yoga.fetch(c.req.raw, {});
    // yoga refuses a POST body it cannot read with a bare 415: say why, the GraphQL way.
    if (response.status !== 415) return response;
    const message = `Content-Type "${c.req.header("content-type") ?? ""}" is not accepted: send the operation as application/json`;
    return c.json({ errors: [{ message, extensions: { code: "BAD_REQUEST" } }] }, 415);
  });

  const rest = mountRestRoutes(app, deps);
  mountOpenApi(app);
  app.notFound((c) => rest.notFound(c));
  app.onError((error, c) => errorResponse(c, error, deps.logger));
  return { app, yoga };
}
