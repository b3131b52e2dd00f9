/** REST requests through the app's fetch handler (no port). */
import type { OpenAPIHono } from "@hono/zod-openapi";

export interface RestResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: bodies are shaped per route and checked by assertions
  body: any;
}

export async function rest(
  app: OpenAPIHono,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RestResponse> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  const response = await app.request(path, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** A JSON request to a served engine (a real socket); the body parsed when it is JSON, else its text. */
export async function requestServed(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Pick<RestResponse, "status" | "body">> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : text };
}
