import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { NetworkGuard } from "../../src/http-client/network-guard.js";

describe("loadConfig", () => {
  it("applies defaults and parses types", () => {
    const config = loadConfig({
      PORT: "8080",
      HTTP_ALLOWED_NETWORKS: "127.0.0.0/8, ::1/128",
      HTTP_ALLOW_ALL_NETWORKS: "false",
    });
    expect(config).toMatchObject({
      PORT: 8080,
      WORKER_CONCURRENCY: 16,
      HTTP_ALLOWED_NETWORKS: ["127.0.0.0/8", "::1/128"],
      HTTP_ALLOW_ALL_NETWORKS: false,
      MAX_HTTP_RESPONSE_BYTES: 10_000_000,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("names every bad variable", () => {
    let error: unknown;
    try {
      loadConfig({ PORT: "eighty", WORKER_CONCURRENCY: "0", QUEUE_NAME: "a:b", DATABASE_URL: "not a url" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const paths = (error as ConfigError).problems.map((p) => p.split(":")[0]).sort();
    expect(paths).toEqual(["DATABASE_URL", "PORT", "QUEUE_NAME", "WORKER_CONCURRENCY"]);
  });
});

describe("NetworkGuard", () => {
  const guard = new NetworkGuard();

  it("refuses loopback, private, link-local, metadata and multicast addresses", () => {
    for (const address of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "::1",
      "fe80::1",
      "fd12::1",
      "::ffff:127.0.0.1",
      "64:ff9b::a9fe:a9fe", // 169.254.169.254 through NAT64
      "2002:7f00:1::1", // 127.0.0.1 through 6to4
    ]) {
      expect(guard.refusal(address), address).toMatch(/refused to connect/);
    }
  });

  it("refuses IPv4-compatible (::/96) and IPv4-mapped addresses in every spelling", () => {
    for (const address of [
      "::127.0.0.1",
      "::7f00:1", // ::127.0.0.1 as the URL parser writes it
      "::a9fe:a9fe", // 169.254.169.254
      "::10.0.0.1",
      "::8.8.8.8", // deprecated form: refused whatever the IPv4 address inside
      "::",
      "::ffff:7f00:1", // ::ffff:127.0.0.1 as the URL parser writes it
      "::ffff:a9fe:a9fe",
      "0:0:0:0:0:ffff:169.254.169.254",
      "64:ff9b:1::a00:1", // local-use NAT64
    ]) {
      expect(guard.refusal(address), address).toMatch(/refused to connect/);
    }
    expect(guard.refusal("::ffff:8.8.8.8")).toBeUndefined(); // mapped public IPv4 is public
    expect(guard.refusal("1::1")).toBeUndefined(); // outside ::/96
  });

  it("names a literal address but not the one a host name resolved to", () => {
    expect(guard.refusal("127.0.0.1")).toMatch(/^refused to connect to 127\.0\.0\.1:/);
    const named = guard.refusal("127.0.0.1", "internal.example");
    expect(named).toMatch(/^refused to connect to internal\.example: the name resolves to a blocked address/);
    expect(named).not.toContain("127.0.0.1");
  });

  it("lets public addresses through", () => {
    for (const address of ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
      expect(guard.refusal(address), address).toBeUndefined();
  });

  it("allows the ranges the operator lists, or everything when told to", () => {
    const local = new NetworkGuard({ allowedNetworks: ["127.0.0.0/8", "::1/128"] });
    expect(local.refusal("127.0.0.1")).toBeUndefined();
    expect(local.refusal("::1")).toBeUndefined();
    // An IPv4 range does not allow the IPv4-compatible spelling; an IPv6 range would.
    expect(local.refusal("::127.0.0.1")).toMatch(/refused/);
    expect(new NetworkGuard({ allowedNetworks: ["::7f00:0/104"] }).refusal("::127.0.0.1")).toBeUndefined();
    expect(local.refusal("10.0.0.1")).toMatch(/refused/);
    expect(new NetworkGuard({ allowAll: true }).refusal("169.254.169.254")).toBeUndefined();
    expect(() => new NetworkGuard({ allowedNetworks: ["nonsense"] })).toThrow(/HTTP_ALLOWED_NETWORKS/);
  });
});
