/**
 * Which WebSocket upgrades to accept. Browsers open a WebSocket from any page
 * to any server, with no preflight and with the user's cookies and network
 * position, and the server only learns the page's site from Origin. So an
 * upgrade is refused when its Host is not allowed (DNS rebinding, see
 * allowed-hosts.ts) or its Origin is neither allowed by CORS_ORIGINS nor this
 * server's own (a page it serves, such as GraphiQL). Clients that are not
 * browsers (Node, curl, mobile apps) send no Origin and are not refused for it.
 */
import type { IncomingHttpHeaders } from "node:http";
import { type AllowedHosts, hostRefusal } from "./allowed-hosts.js";
import { type AllowedOrigins, isSameOrigin } from "./origins.js";

export interface UpgradePolicy {
  origins: AllowedOrigins;
  /** Undefined: any Host (production mode without ALLOWED_HOSTS). */
  hosts: AllowedHosts | undefined;
}

/** Why this upgrade request is refused, or undefined to accept it. */
export function upgradeRefusal(headers: IncomingHttpHeaders, policy: UpgradePolicy): string | undefined {
  const { host, origin } = headers;
  if (policy.hosts !== undefined && !policy.hosts.allows(host)) return hostRefusal(host ?? "");
  if (origin === undefined || policy.origins.allows(origin) || isSameOrigin(origin, host)) return undefined;
  return `Origin ${JSON.stringify(origin.slice(0, 200))} may not open a GraphQL WebSocket: add it to CORS_ORIGINS to allow it`;
}
