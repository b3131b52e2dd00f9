/**
 * The HTTP client behind http_call: got, with no retries of its own (the
 * runner retries the step and records each attempt), redirects followed, and
 * every connection checked by the network guard after DNS resolution.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP } from "node:net";
import got, { RequestError } from "got";
import type { HttpRequest, HttpResponse } from "../engine/handlers/types.js";
import { NonRetryableStepError } from "../errors.js";
import type { NetworkGuard } from "./network-guard.js";

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** DNS lookup that fails the connection when any resolved address is refused. */
function guardedLookup(guard: NetworkGuard) {
  return (hostname: string, options: object, callback: LookupCallback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      for (const { address } of addresses) {
        const refusal = guard.refusal(address);
        if (refusal) return callback(Object.assign(new Error(refusal), { code: "EREFUSEDADDRESS" }), []);
      }
      const all = (options as { all?: boolean }).all;
      if (all) return callback(null, addresses);
      const first = addresses[0] as LookupAddress;
      return callback(null, first.address, first.family);
    });
  };
}

export function createGotHttp(guard: NetworkGuard) {
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
    try {
      const response = await client(request.url, {
        method: request.method as "GET",
        headers: request.headers,
        searchParams: request.query,
        ...(request.body !== undefined && request.method !== "GET" && request.method !== "HEAD"
          ? { json: request.body }
          : {}),
        timeout: { request: request.timeoutMs },
      });
      return {
        statusCode: response.statusCode,
        headers: response.headers,
        body: response.body,
        contentType: response.headers["content-type"],
        durationMs: Math.round(performance.now() - started),
      };
    } catch (error) {
      if (error instanceof NonRetryableStepError) throw error;
      const cause = error instanceof RequestError ? error : undefined;
      if (cause?.code === "EREFUSEDADDRESS" || cause?.cause instanceof NonRetryableStepError) {
        throw new NonRetryableStepError(cause.message);
      }
      if (cause?.code === "ERR_INVALID_URL") throw new NonRetryableStepError(`invalid URL: ${request.url}`);
      throw error;
    }
  };
}
