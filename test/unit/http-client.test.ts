/**
 * The edges of http_call's HTTP client against a real local server: the
 * response size limit (read as it arrives, decompressed, or refused up front
 * from Content-Length), aborting, the URL's own query string, errors a retry
 * cannot change, and error text that does not tell what a name resolves to.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HttpRequest } from "../../src/engine/handlers/types.js";
import { NonRetryableStepError } from "../../src/errors.js";
import { createGotHttp } from "../../src/http-client/got-http.js";
import { NetworkGuard } from "../../src/http-client/network-guard.js";
import { requestUrl } from "../../src/http-client/request-url.js";
import { freePort } from "../support/ports.js";

const LIMIT = 100_000;
const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
const closedSockets = new Set<string>();
let server: Server;
let port = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] as string;
    req.socket.once("close", () => closedSockets.add(path));
    const route = routes.get(path);
    if (route) return route(req, res);
    res.writeHead(200, { "content-type": "text/plain" }).end(req.url);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const http = createGotHttp(new NetworkGuard({ allowedNetworks: ["127.0.0.0/8"] }), { maxResponseBytes: LIMIT });
const request = (path: string, more: Partial<HttpRequest> = {}): HttpRequest => ({
  url: `http://127.0.0.1:${port}${path}`,
  method: "GET",
  headers: {},
  query: {},
  timeoutMs: 10_000,
  ...more,
});
const failure = (pending: Promise<unknown>) =>
  pending.then(
    () => {
      throw new Error("the request succeeded");
    },
    (error: unknown) => error as Error,
  );

describe("the response size limit", () => {
  it("aborts an endless body once it passes the limit", async () => {
    routes.set("/endless", (_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, "x");
      const write = () => {
        while (!res.destroyed && res.write(chunk)) {}
      };
      res.on("drain", write);
      write();
    });
    const error = await failure(http(request("/endless")));
    expect(error).toBeInstanceOf(NonRetryableStepError);
    expect(error.message).toBe(
      `the response from 127.0.0.1:${port} passed ${LIMIT} bytes; the limit is ${LIMIT} bytes (MAX_HTTP_RESPONSE_BYTES), so the request was aborted`,
    );
  });

  it("refuses a body whose Content-Length announces more, before reading it", async () => {
    routes.set("/announced", (_req, res) => {
      res.writeHead(200, { "content-length": "200000000" });
      res.write("x"); // and nothing more: only the announcement can end this request
    });
    const error = await failure(http(request("/announced")));
    expect(error).toBeInstanceOf(NonRetryableStepError);
    expect(error.message).toMatch(/announces 200000000 bytes \(Content-Length\); the limit is 100000 bytes/);
  });

  it("counts decompressed bytes, so a small compressed body cannot expand past the limit", async () => {
    const bomb = gzipSync(Buffer.alloc(50 * LIMIT));
    expect(bomb.length).toBeLessThan(LIMIT);
    routes.set("/gzip", (_req, res) => {
      res.writeHead(200, { "content-encoding": "gzip", "content-length": String(bomb.length) }).end(bomb);
    });
    const error = await failure(http(request("/gzip")));
    expect(error).toBeInstanceOf(NonRetryableStepError);
    expect(error.message).toMatch(/passed 100000 bytes/);
  });

  it("reads a body of exactly the limit", async () => {
    routes.set("/full", (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" }).end("y".repeat(LIMIT));
    });
    expect((await http(request("/full"))).body).toHaveLength(LIMIT);
  });
});

describe("aborting", () => {
  it("ends the request when its signal aborts, as a non-retryable error", async () => {
    let arrived = false;
    routes.set("/hang", () => {
      arrived = true; // and no answer
    });
    const controller = new AbortController();
    const pending = failure(http(request("/hang", { signal: controller.signal })));
    await expect.poll(() => arrived).toBe(true);
    controller.abort(new Error("its execution was cancelled"));
    const error = await pending;
    expect(error).toBeInstanceOf(NonRetryableStepError);
    expect(error.message).toBe(`the request to 127.0.0.1:${port} was aborted: its execution was cancelled`);
    await expect.poll(() => closedSockets.has("/hang")).toBe(true);
  });
});

describe("requests that cannot succeed on a retry", () => {
  it("fails an invalid header name or value as non-retryable", async () => {
    const invalid: Record<string, string>[] = [{ "X Bad": "1" }, { "X-Bad": "a\nb" }];
    for (const headers of invalid) {
      const error = await failure(http(request("/ok", { headers })));
      expect(error, JSON.stringify(headers)).toBeInstanceOf(NonRetryableStepError);
      expect(error.message).toMatch(
        /^cannot send the request to 127\.0\.0\.1:\d+: .*\(ERR_INVALID_(HTTP_TOKEN|CHAR)\)$/,
      );
    }
  });

  it("fails an invalid URL as non-retryable", async () => {
    const error = await failure(http(request("", { url: "http://exa mple.com/" })));
    expect(error).toBeInstanceOf(NonRetryableStepError);
    expect(error.message).toBe('invalid URL: "http://exa mple.com/"');
  });
});

describe("error text", () => {
  it("names the host, not the address it resolved to, when a connection fails", async () => {
    const closed = await freePort();
    const error = await failure(http(request("", { url: `http://localhost:${closed}/x` })));
    expect(error).not.toBeInstanceOf(NonRetryableStepError); // a refused connection may work next time
    expect(error.message).toContain(`ECONNREFUSED localhost:${closed}`);
    expect(error.message).not.toContain("127.0.0.1");
  });
});

describe("the URL's query string", () => {
  it("keeps it, with `query` added and replacing a key both name", () => {
    expect(requestUrl("https://x.example/path?a=1&b=2", { c: "3" }).href).toBe("https://x.example/path?a=1&b=2&c=3");
    expect(requestUrl("https://x.example/p?a=1&b=2&b=3&a%20b=%7E#frag", { b: "x y" }).href).toBe(
      "https://x.example/p?a=1&a%20b=%7E&b=x+y#frag",
    );
    expect(requestUrl("https://x.example/p?a=1", {}).href).toBe("https://x.example/p?a=1");
    expect(requestUrl("https://x.example/p", { q: "&=?" }).href).toBe("https://x.example/p?q=%26%3D%3F");
  });

  it("arrives at the server whole", async () => {
    const response = await http(request("/echo?a=1&b=2", { query: { c: "3" } }));
    expect(response.body).toBe("/echo?a=1&b=2&c=3");
  });
});
