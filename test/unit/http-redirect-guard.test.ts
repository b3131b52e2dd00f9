/**
 * The private-address guard applies to every hop of a redirect, not only to the
 * URL the workflow names: an allowed host must not be able to bounce http_call
 * into a refused one (cloud metadata, localhost services).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HttpRequest } from "../../src/engine/handlers/types.js";
import { NonRetryableStepError } from "../../src/errors.js";
import { createGotHttp } from "../../src/http-client/got-http.js";
import { NetworkGuard } from "../../src/http-client/network-guard.js";

let allowedHost: Server;
let refusedHost: Server;
let refusedHits = 0;
let allowedPort = 0;
let refusedPort = 0;

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));
}

beforeAll(async () => {
  refusedHost = createServer((_request, response) => {
    refusedHits += 1;
    response.end("secret");
  });
  refusedPort = await listen(refusedHost, "127.0.0.2");
  allowedHost = createServer((request, response) => {
    const target =
      request.url === "/to-refused"
        ? `http://127.0.0.2:${refusedPort}/latest/meta-data`
        : request.url === "/to-allowed"
          ? "/ok"
          : undefined;
    if (target) {
      response.writeHead(302, { location: target }).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ path: request.url }));
  });
  allowedPort = await listen(allowedHost, "127.0.0.1");
});

afterAll(async () => {
  await new Promise((resolve) => allowedHost.close(resolve));
  await new Promise((resolve) => refusedHost.close(resolve));
});

// Only 127.0.0.1 is allowed; 127.0.0.2 is loopback like it, and so refused.
const http = createGotHttp(new NetworkGuard({ allowedNetworks: ["127.0.0.1/32"] }));
const request = (path: string): HttpRequest => ({
  url: `http://127.0.0.1:${allowedPort}${path}`,
  method: "GET",
  headers: {},
  query: {},
  timeoutMs: 5_000,
});

describe("http_call redirects", () => {
  it("follows a redirect to an allowed address", async () => {
    const response = await http(request("/to-allowed"));
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('"path":"/ok"');
  });

  it("refuses a redirect to a refused address, before connecting, as a non-retryable error", async () => {
    const refused = await http(request("/to-refused")).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(NonRetryableStepError);
    expect((refused as Error).message).toMatch(/127\.0\.0\.2/);
    expect(refusedHits).toBe(0);
  });
});
