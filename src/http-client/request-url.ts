/**
 * The URL http_call requests: the node's `url`, its own query string kept as
 * written, with the node's `query` parameters merged in. A key in `query`
 * replaces every parameter of that name in the URL; the others stay, in their
 * order and spelling, and `query`'s follow them.
 */
import { NonRetryableStepError } from "../errors.js";

export function requestUrl(url: string, query: Readonly<Record<string, string>>): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new NonRetryableStepError(`invalid URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new NonRetryableStepError(`invalid URL: ${JSON.stringify(url)} is not http(s)`);
  }
  const keys = Object.keys(query);
  if (keys.length === 0) return parsed;
  const replaced = new Set(keys);
  const kept = parsed.search
    .slice(1)
    .split("&")
    .filter((part) => part !== "" && !replaced.has(parameterName(part)));
  parsed.search = [...kept, new URLSearchParams(query).toString()].join("&");
  return parsed;
}

/** The decoded name of one `name=value` part of a query string. */
function parameterName(part: string): string {
  return new URLSearchParams(part).keys().next().value ?? "";
}
