/**
 * Builds the HTTP application from dependencies: GraphQL (with GraphiQL and
 * SSE), health endpoints, and later the REST routes. Nothing listens here.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Deps } from "./deps.js";
import { createGraphQLServer, GRAPHQL_PATH, type Yoga } from "./graphql/yoga.js";

export type AppDeps = Pick<Deps, "config" | "services" | "db" | "bus" | "logger" | "checkReady">;

export function createApp(deps: AppDeps): { app: Hono; yoga: Yoga } {
  const app = new Hono();
  const yoga = createGraphQLServer(deps);

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const checks = await deps.checkReady();
    const ready = Object.values(checks).every(Boolean);
    return c.json({ status: ready ? "ready" : "unavailable", checks }, ready ? 200 : 503);
  });

  app.use(
    GRAPHQL_PATH,
    bodyLimit({
      maxSize: deps.config.MAX_REQUEST_BYTES,
      onError: (c) =>
        c.json({ errors: [{ message: `request body larger than ${deps.config.MAX_REQUEST_BYTES} bytes` }] }, 413),
    }),
  );
  app.all(GRAPHQL_PATH, (c) => yoga.fetch(c.req.raw, {}));
  return { app, yoga };
}
