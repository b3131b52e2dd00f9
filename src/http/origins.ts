/**
 * Which browser origins may use the APIs (CORS_ORIGINS): the one place that
 * answers it, for CORS headers (cors.ts) and for WebSocket upgrades, which
 * browsers open from any page without asking (see cross-site.ts).
 */

export class AllowedOrigins {
  /** "*" was configured: any origin, and then no credentials. */
  readonly any: boolean;
  private readonly origins: ReadonlySet<string>;

  constructor(configured: readonly string[]) {
    this.any = configured.includes("*");
    this.origins = new Set(configured.filter((origin) => origin !== "*").map(serializedOrigin));
  }

  /** Whether a request carrying this Origin header is allowed. */
  allows(origin: string): boolean {
    return this.any || this.origins.has(origin);
  }
}

/**
 * A configured origin as browsers send it in Origin: lower-case scheme and
 * host, no default port, no path or trailing slash ("HTTP://LocalHost:5173/" →
 * "http://localhost:5173"). Values that are not URLs ("null") are kept as written.
 */
function serializedOrigin(configured: string): string {
  try {
    const url = new URL(configured);
    return url.origin === "null" ? configured : url.origin;
  } catch {
    return configured;
  }
}

/**
 * A page served by this server itself (GraphiQL, or a UI behind the same
 * host): its Origin names the host the request was sent to. A page on a name
 * that was made to resolve here (DNS rebinding) passes this too; the Host
 * allow-list is what refuses that (see allowed-hosts.ts).
 */
export function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === new URL(`http://${host}`).host;
  } catch {
    return false;
  }
}
