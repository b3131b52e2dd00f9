/**
 * A small layer over Hono: each route is declared once (method, path, zod
 * schemas) and that one declaration both documents it in OpenAPI and serves it.
 * Errors are mapped in one place; unknown paths get 404 and known paths with
 * the wrong method 405, in the original engine's `detail` style.
 */
import { createRoute, type OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { Context } from "hono";
import { textProblem } from "../http/json-input.js";
import type { Logger } from "../logger.js";
import { type DetailItem, errorResponse, HttpError } from "./errors.js";

type Handler = (c: Context) => Promise<Response>;

export class RestRouter {
  private readonly patterns: { method: string; regex: RegExp }[] = [];

  constructor(
    private readonly app: OpenAPIHono,
    private readonly logger: Logger,
  ) {}

  route(config: RouteConfig, handler: Handler): void {
    const route = createRoute(config);
    this.app.openAPIRegistry.registerPath(route);
    const honoPath = route.path.replace(/\{(\w+)\}/g, ":$1");
    this.patterns.push({
      method: route.method.toUpperCase(),
      regex: new RegExp(`^${honoPath.replace(/:\w+/g, "[^/]+")}/?$`),
    });
    this.app.on(route.method.toUpperCase(), honoPath, async (c) => {
      try {
        checkTextParams(c);
        return await handler(c);
      } catch (error) {
        return errorResponse(c, error, this.logger);
      }
    });
  }

  /** 405 for a known path with another method, 404 otherwise. */
  notFound(c: Context): Response {
    const path = c.req.path;
    const allowed = this.patterns.filter((p) => p.regex.test(path)).map((p) => p.method);
    if (allowed.length > 0) {
      c.header("Allow", [...new Set(allowed)].join(", "));
      return c.json({ detail: "Method Not Allowed" }, 405);
    }
    return c.json({ detail: "Not Found" }, 404);
  }
}

/** Path and query values the database could not hold (a NUL from %00) are the client's mistake: 422 naming them. */
function checkTextParams(c: Context): void {
  const detail: DetailItem[] = [];
  for (const [where, values] of [
    ["path", c.req.param()],
    ["query", c.req.query()],
  ] as const) {
    for (const [name, value] of Object.entries(values as Record<string, string>)) {
      const problem = textProblem(value);
      if (problem) detail.push({ loc: [where, name], msg: `text ${problem}`, type: "value_error" });
    }
  }
  if (detail.length > 0) throw new HttpError(422, detail);
}
