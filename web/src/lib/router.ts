/**
 * Hash routes (#/executions/abc): the server keeps its own paths (/graphql,
 * /docs, the REST routes /workflows, /executions…) and serves the console at
 * `/` only, so the console's routes live after the #.
 */
import { useSyncExternalStore } from "react";

export interface Route {
  path: string[];
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, "");
  const [pathPart = "", query = ""] = raw.split("?");
  return { path: pathPart.split("/").filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query) };
}

function subscribe(listener: () => void): () => void {
  window.addEventListener("hashchange", listener);
  return () => window.removeEventListener("hashchange", listener);
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return parseHash(hash);
}

export function href(path: string, params?: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {})) if (value) query.set(key, value);
  const text = query.toString();
  return `#/${path}${text ? `?${text}` : ""}`;
}

export function navigate(path: string, params?: Record<string, string | undefined>): void {
  window.location.hash = href(path, params);
}
