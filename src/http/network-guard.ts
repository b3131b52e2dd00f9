/**
 * Which addresses http_call may reach. Loopback, private, link-local, shared,
 * multicast, reserved and cloud-metadata ranges are refused unless the operator
 * allows them (HTTP_ALLOWED_NETWORKS); the check runs on every resolved address
 * and on every redirect, because each connection goes through it.
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
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
  ["fd00:ec2::", 32], // AWS metadata over IPv6
  ["64:ff9b::", 96], // NAT64: IPv4 addresses (private ones too) reached through IPv6
  ["2002::", 16], // 6to4: an IPv4 address embedded in IPv6
] as const;

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

  /** Why an address is refused, or undefined when it may be reached. */
  refusal(address: string): string | undefined {
    if (this.allowAll) return undefined;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1]; // IPv4-mapped IPv6
    const ip = mapped ?? address;
    const family = isIP(ip) === 6 ? "ipv6" : "ipv4";
    if (this.allowed.check(ip, family)) return undefined;
    if (this.refused.check(ip, family)) {
      return `refused to connect to ${address}: private, loopback, link-local and metadata addresses are blocked (allow them with HTTP_ALLOWED_NETWORKS)`;
    }
    return undefined;
  }
}
