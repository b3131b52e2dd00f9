/**
 * /openapi.json, generated from the route declarations and their zod schemas,
 * and /docs, a Swagger UI page served from the installed swagger-ui-dist
 * package (no CDN: many users, and these machines, are offline).
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { OpenAPIHono } from "@hono/zod-openapi";

/**
 * Where swagger-ui-dist's files are. Found from its package.json rather than by
 * importing the package: its entry point loads the whole 1.5 MB UI bundle into
 * the server (startup time and memory) only to tell us this path.
 */
const assetsDir = path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui-standalone-preset.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

export function openApiDocument(app: OpenAPIHono) {
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Workflow engine REST API",
      version: "1.0.0",
      description:
        "Compatible with the original Python engine's API. The GraphQL API at /graphql is the primary API; see the README.",
    },
  });
}

export function mountOpenApi(app: OpenAPIHono): void {
  app.get("/openapi.json", (c) => c.json(openApiDocument(app)));
  app.get("/docs", (c) => c.html(DOCS_PAGE));
  app.get("/docs/assets/:file", async (c) => {
    const file = c.req.param("file");
    const type = ASSETS[file];
    if (!type) return c.json({ detail: "Not Found" }, 404);
    const body = await readFile(path.join(assetsDir, file));
    return c.body(body, 200, { "content-type": type, "cache-control": "public, max-age=86400" });
  });
}

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>Workflow engine API</title>
  <link rel="icon" href="/docs/assets/favicon-32x32.png" />
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout",
    });
  </script>
</body>
</html>`;
