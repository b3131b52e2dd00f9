/**
 * Which addresses http_call may reach. Loopback, private, link-local, shared,
 * multicast, reserved and cloud-metadata ranges are refused unless the operator
 * allows them (HTTP_ALLOWED_NETWORKS); the check runs on every resolved address
 * and on every redirect, because each connection goes through it.
 *
 * A refusal's text names the address only when it was written as one (a
 * literal IP in the URL or in a redirect's Location): what a host name
 * resolves to inside the network is not told to whoever wrote the workflow.
 */
import { BlockList, isIP } from "node:net";

const REFUSED_V4 = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, including 169.254.169.254 (cloud metadata)
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved and broadcast
] as const;

const REFUSED_V6 = [
  // The unspecified address (::), loopback (::1) and the deprecated IPv4-compatible
  // addresses (::127.0.0.1 = ::7f00:1, ::a9fe:a9fe), which some stacks route to the
  // IPv4 address inside. IPv4-mapped ones (::ffff:a.b.c.d) are checked as IPv4 instead.
  ["::", 96],
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
  ["fd00:ec2::", 32], // AWS metadata over IPv6
  ["64:ff9b::", 96], // NAT64: IPv4 addresses (private ones too) reached through IPv6
  ["64:ff9b:1::", 48], // local-use NAT64 (RFC 8215)
  ["2002::", 16], // 6to4: an IPv4 address embedded in IPv6
] as const;

const BLOCKED = "private, loopback, link-local, metadata and other internal addresses are blocked";
const HOW_TO_ALLOW = "allow chosen networks with HTTP_ALLOWED_NETWORKS";

export class NetworkGuard {
  private readonly refused = new BlockList();
  private readonly allowed = new BlockList();

  constructor(options: { allowedNetworks?: readonly string[]; allowAll?: boolean } = {}) {
    this.allowAll = options.allowAll ?? false;
    for (const [net, prefix] of REFUSED_V4) this.refused.addSubnet(net, prefix, "ipv4");
    for (const [net, prefix] of REFUSED_V6) this.refused.addSubnet(net, prefix, "ipv6");
    for (const cidr of options.allowedNetworks ?? []) {
      const [net, bits] = cidr.split("/");
      const family = isIP(net ?? "") === 6 ? "ipv6" : "ipv4";
      if (!net || isIP(net) === 0) throw new Error(`HTTP_ALLOWED_NETWORKS: "${cidr}" is not an address or CIDR range`);
      this.allowed.addSubnet(net, bits ? Number(bits) : family === "ipv6" ? 128 : 32, family);
    }
  }

  private readonly allowAll: boolean;

  /**
   * Why an address is refused, or undefined when it may be reached. `hostName`:
   * the name that resolved to `address`; the text then names it instead of the
   * address. Without it the address was written literally and is named.
   */
  refusal(address: string, hostName?: string): string | undefined {
    if (this.allows(address)) return undefined;
    if (hostName !== undefined) {
      return `refused to connect to ${hostName}: the name resolves to a blocked address (${BLOCKED}; ${HOW_TO_ALLOW})`;
    }
    return `refused to connect to ${address}: ${BLOCKED} (${HOW_TO_ALLOW})`;
  }

  private allows(address: string): boolean {
    if (this.allowAll) return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1]; // IPv4-mapped IPv6, dotted
    const ip = mapped ?? address;
    const family = isIP(ip) === 6 ? "ipv6" : "ipv4";
    // BlockList checks the hexadecimal mapped form (::ffff:7f00:1) against IPv4 ranges by itself.
    if (this.allowed.check(ip, family)) return true;
    return !this.refused.check(ip, family);
  }
}
