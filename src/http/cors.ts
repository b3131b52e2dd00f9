/**
 * CORS for the browser UIs (CORS_ORIGINS): Hono's cors middleware answers
 * preflights; on every other request the headers are added once the route
 * has answered.
 *
 * Hono's middleware sets its headers on `c.res` before the route runs, which
 * makes a placeholder response that the route's own then has to be merged
 * into, and on @hono/node-server that merge turns the route's lightweight
 * response into a full Web Response with a stream for its body, written to the
 * socket through that stream (found profiling POST /events). c.header() after
 * the route does the same, so the headers go on the response's own.
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { AllowedOrigins } from "./origins.js";

export interface CorsOptions {
  /** Allowed origins (CORS_ORIGINS); "*" among them allows any (and then no credentials). */
  origins: AllowedOrigins;
  /** Seconds a browser may keep a preflight's answer. */
  maxAge: number;
}

export function corsHeaders(options: CorsOptions): MiddlewareHandler {
  const { origins } = options;
  const anyOrigin = origins.any;
  const preflight = cors({
    origin: anyOrigin ? "*" : (origin) => (origins.allows(origin) ? origin : null),
    credentials: !anyOrigin,
    maxAge: options.maxAge,
  });
  return async (c, next) => {
    if (c.req.method === "OPTIONS") return preflight(c, next);
    await next();
    // On the response's own headers: c.header() on a finished response copies it into a new one.
    const headers = c.res.headers;
    if (anyOrigin) {
      headers.set("Access-Control-Allow-Origin", "*");
      return;
    }
    const origin = c.req.header("origin");
    if (origin !== undefined && origins.allows(origin)) headers.set("Access-Control-Allow-Origin", origin);
    headers.set("Access-Control-Allow-Credentials", "true");
    // The answer depends on the Origin header: caches must keep one per origin.
    headers.append("Vary", "Origin");
  };
}
