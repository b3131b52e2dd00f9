/**
 * Which names requests may be addressed to (the Host header), against DNS
 * rebinding: a page on evil.example makes its own name resolve to 127.0.0.1,
 * and the browser then treats our API as evil.example's, same-origin, CORS
 * and Origin checks passing. Its requests still say `Host: evil.example`.
 *
 * IP addresses and localhost are always allowed: a browser reaches them
 * without asking DNS, so no one else's name can stand for them. Other names
 * must be listed (ALLOWED_HOSTS). Embedded mode checks by default; production
 * mode only when ALLOWED_HOSTS is set (behind a proxy or on a public name the
 * check is the proxy's business, and a wrong guess would refuse every request).
 */
import { isIP } from "node:net";
import type { Config } from "../config.js";

/** Host headers a browser could send: a name or IPv4 address, or a bracketed IPv6 one, and a port. */
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[^\s:/?#@[\]\\]+)(:\d{1,5})?$/i;

export class AllowedHosts {
  private readonly any: boolean;
  /** Exact names, lower case. */
  private readonly names: ReadonlySet<string>;
  /** From ".example.com": "example.com" and every name under it. */
  private readonly domains: readonly string[];

  constructor(configured: readonly string[]) {
    const entries = configured.map((entry) => entry.toLowerCase().replace(/\.$/, ""));
    this.any = entries.includes("*");
    this.names = new Set(entries.filter((entry) => !entry.startsWith(".")));
    this.domains = entries.filter((entry) => entry.startsWith(".")).map((entry) => entry.slice(1));
  }

  /**
   * Whether to answer a request with this Host header. Without one it is not a
   * browser's (every browser sends it; Node refuses HTTP/1.1 without it).
   */
  allows(hostHeader: string | undefined): boolean {
    if (this.any || hostHeader === undefined) return true;
    const name = hostName(hostHeader);
    if (name === undefined) return false;
    if (isIP(name.replace(/^\[(.*)\]$/, "$1")) !== 0) return true;
    if (name === "localhost" || name.endsWith(".localhost")) return true;
    return this.names.has(name) || this.domains.some((domain) => name === domain || name.endsWith(`.${domain}`));
  }
}

/**
 * The name in a Host header, as a browser resolved it: lower case, IDNA,
 * IPv4 in dotted form, no port or trailing dot ("LocalHost.:4000" → "localhost").
 * Undefined for a header no browser would send.
 */
export function hostName(hostHeader: string): string | undefined {
  if (!HOST_HEADER.test(hostHeader)) return undefined;
  try {
    return new URL(`http://${hostHeader}`).hostname.replace(/\.$/, "");
  } catch {
    return undefined;
  }
}

/**
 * The allow-list this configuration asks for, or undefined for no check:
 * ALLOWED_HOSTS when set; else, in embedded mode, localhost and IP addresses
 * plus HOST when it is a name; else (production mode) none.
 */
export function allowedHostsFor(config: Pick<Config, "MODE" | "HOST" | "ALLOWED_HOSTS">): AllowedHosts | undefined {
  if (config.ALLOWED_HOSTS !== undefined) return new AllowedHosts(config.ALLOWED_HOSTS);
  if (config.MODE !== "embedded") return undefined;
  return new AllowedHosts(isIP(config.HOST) === 0 ? [config.HOST] : []);
}

/** The refusal's text: names the host and the setting that would let it in. */
export function hostRefusal(hostHeader: string): string {
  return `Host ${JSON.stringify(hostHeader.slice(0, 200))} is not allowed: add its name to ALLOWED_HOSTS to serve it`;
}
