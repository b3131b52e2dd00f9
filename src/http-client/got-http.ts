/**
 * src/http-client: the requests this process makes (http_call); the middleware for requests it receives is in src/http.
 *
 * The HTTP client behind http_call: got, with no retries of its own (the
 * runner retries the step and records each attempt), redirects followed, and
 * every connection checked by the network guard after DNS resolution.
 *
 * The response body is read as it arrives and the request aborted as soon as
 * it passes `maxResponseBytes` (or announces more in its Content-Length), so
 * one large or endless response cannot take the worker's memory. Errors that
 * a retry cannot change (a refused address, an invalid URL or header, a body
 * over the limit, an aborted call) are NonRetryableStepErrors.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP } from "node:net";
import got, { type Progress, RequestError } from "got";
import type { HttpRequest, HttpResponse } from "../engine/index.js";
import { NonRetryableStepError } from "../errors.js";
import type { NetworkGuard } from "./network-guard.js";
import { requestUrl } from "./request-url.js";

/** MAX_HTTP_RESPONSE_BYTES's default. */
export const DEFAULT_MAX_HTTP_RESPONSE_BYTES = 10_000_000;

/**
 * Node's and got's codes for a request that cannot be built (an invalid URL,
 * header name or value, path or protocol): the same request fails the same way
 * on every try.
 */
const REQUEST_CONSTRUCTION_ERRORS = new Set([
  "ERR_INVALID_URL",
  "ERR_UNSUPPORTED_PROTOCOL",
  "ERR_INVALID_PROTOCOL",
  "ERR_INVALID_HTTP_TOKEN",
  "ERR_INVALID_CHAR",
  "ERR_HTTP_INVALID_HEADER_VALUE",
  "ERR_UNESCAPED_CHARACTERS",
  "ERR_INVALID_ARG_TYPE",
  "ERR_INVALID_ARG_VALUE",
]);

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** DNS lookup that fails the connection when any resolved address is refused. */
function guardedLookup(guard: NetworkGuard) {
  return (hostname: string, options: object, callback: LookupCallback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      // The refusal names the host, not what it resolved to (see NetworkGuard).
      const name = isIP(hostname) === 0 ? hostname : undefined;
      for (const { address } of addresses) {
        const refusal = guard.refusal(address, name);
        if (refusal) return callback(Object.assign(new Error(refusal), { code: "EREFUSEDADDRESS" }), []);
      }
      const all = (options as { all?: boolean }).all;
      if (all) return callback(null, addresses);
      const first = addresses[0] as LookupAddress;
      return callback(null, first.address, first.family);
    });
  };
}

export interface GotHttpOptions {
  /** Largest response body read, decompressed (MAX_HTTP_RESPONSE_BYTES). */
  maxResponseBytes?: number;
}

export function createGotHttp(guard: NetworkGuard, options: GotHttpOptions = {}) {
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_HTTP_RESPONSE_BYTES;
  const client = got.extend({
    retry: { limit: 0 },
    throwHttpErrors: false,
    followRedirect: true,
    maxRedirects: 10,
    dnsLookup: guardedLookup(guard) as never,
    hooks: {
      beforeRequest: [
        (options) => {
          // Literal IP hosts skip DNS, so they are checked here (and again on each redirect).
          const host = (options.url as URL | undefined)?.hostname.replace(/^\[|\]$/g, "") ?? "";
          const refusal = isIP(host) ? guard.refusal(host) : undefined;
          if (refusal) throw new NonRetryableStepError(refusal);
        },
      ],
    },
  });

  return async function http(request: HttpRequest): Promise<HttpResponse> {
    const started = performance.now();
    const url = requestUrl(request.url, request.query);
    const pending = client(url, {
      method: request.method as "GET",
      headers: request.headers,
      ...(request.body !== undefined && request.method !== "GET" && request.method !== "HEAD"
        ? { json: request.body }
        : {}),
      timeout: { request: request.timeoutMs },
      ...(request.signal ? { signal: request.signal } : {}),
    });
    let overLimit: string | undefined;
    pending.on("downloadProgress", ({ transferred, total }: Progress) => {
      if (overLimit !== undefined) return;
      // The first report comes with the headers, before any of the body: a Content-Length over the limit ends it there.
      if (total !== undefined && total > maxResponseBytes) overLimit = `announces ${total} bytes (Content-Length)`;
      else if (transferred > maxResponseBytes) overLimit = `passed ${maxResponseBytes} bytes`;
      if (overLimit !== undefined) pending.cancel();
    });
    try {
      const response = await pending;
      return {
        statusCode: response.statusCode,
        headers: response.headers,
        body: response.body,
        contentType: response.headers["content-type"],
        durationMs: Math.round(performance.now() - started),
      };
    } catch (error) {
      if (overLimit !== undefined) {
        throw new NonRetryableStepError(
          `the response from ${url.host} ${overLimit}; the limit is ${maxResponseBytes} bytes (MAX_HTTP_RESPONSE_BYTES), so the request was aborted`,
        );
      }
      if (request.signal?.aborted) {
        const reason: unknown = request.signal.reason;
        const why = reason instanceof Error ? `: ${reason.message}` : "";
        throw new NonRetryableStepError(`the request to ${url.host} was aborted${why}`);
      }
      if (error instanceof NonRetryableStepError) throw error;
      if (!(error instanceof RequestError)) throw error;
      if (error.code === "EREFUSEDADDRESS" || error.cause instanceof NonRetryableStepError) {
        throw new NonRetryableStepError(error.message);
      }
      if (REQUEST_CONSTRUCTION_ERRORS.has(error.code)) {
        throw new NonRetryableStepError(`cannot send the request to ${url.host}: ${error.message} (${error.code})`);
      }
      hideResolvedAddresses(error);
      throw error;
    }
  };
}

/**
 * Socket errors name the address they connected to ("connect ECONNREFUSED
 * 10.1.2.3:80"). When the URL named a host, its name replaces the address, as
 * in a refusal: what a name resolves to is not told to the workflow's author.
 */
function hideResolvedAddresses(error: RequestError): void {
  const host = (error.options?.url as URL | undefined)?.hostname;
  if (!host || isIP(host.replace(/^\[|\]$/g, "")) !== 0) return;
  const cause = error.cause as { address?: unknown; errors?: { address?: unknown }[] } | undefined;
  const addresses = [cause?.address, ...(cause?.errors ?? []).map((e) => e.address)];
  for (const address of addresses) {
    if (typeof address === "string" && address !== "") error.message = error.message.replaceAll(address, host);
  }
}
