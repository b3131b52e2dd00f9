/**
 * The rules behind the cross-site protections (the served behaviour is in
 * test/integration/cross-site.test.ts): which origins, Host headers and
 * content types are accepted, and the settings that choose them.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";
import { AllowedHosts, allowedHostsFor, hostName } from "../../src/http/allowed-hosts.js";
import { isJsonContentType } from "../../src/http/json-content-type.js";
import { AllowedOrigins, isSameOrigin } from "../../src/http/origins.js";
import { upgradeRefusal } from "../../src/http/upgrade-check.js";

const PRODUCTION = { DATABASE_URL: "postgresql://x@db/x", REDIS_URL: "redis://redis:6379" };

describe("AllowedOrigins", () => {
  it("matches origins as browsers send them, whatever the spelling of the setting", () => {
    const origins = new AllowedOrigins(["HTTP://LocalHost:5173/", "https://ui.example.com:443", "null"]);
    expect(origins.allows("http://localhost:5173")).toBe(true);
    expect(origins.allows("https://ui.example.com")).toBe(true);
    expect(origins.allows("null")).toBe(true);
    expect(origins.allows("http://localhost:5174")).toBe(false);
    expect(origins.allows("https://localhost:5173")).toBe(false);
    expect(origins.allows("https://evil.example")).toBe(false);
    expect(origins.any).toBe(false);
  });

  it("allows any origin with *", () => {
    const origins = new AllowedOrigins(["*"]);
    expect(origins.any).toBe(true);
    expect(origins.allows("https://evil.example")).toBe(true);
  });

  it("knows the server's own pages by their host", () => {
    expect(isSameOrigin("http://localhost:4000", "localhost:4000")).toBe(true);
    expect(isSameOrigin("http://LOCALHOST", "localhost:80")).toBe(true);
    expect(isSameOrigin("http://localhost:4001", "localhost:4000")).toBe(false);
    expect(isSameOrigin("null", "localhost:4000")).toBe(false);
    expect(isSameOrigin("http://localhost:4000", undefined)).toBe(false);
  });
});

describe("AllowedHosts", () => {
  const hosts = new AllowedHosts(["engine.internal", ".example.com"]);

  it("always allows localhost and IP addresses, with any port: no one else's name can stand for them", () => {
    for (const host of [
      "localhost",
      "localhost:4000",
      "LocalHost.:4000",
      "ui.localhost:4000",
      "127.0.0.1:4000",
      "10.1.2.3",
      "[::1]:4000",
      "[fe80::1]",
    ]) {
      expect(hosts.allows(host), host).toBe(true);
    }
  });

  it("allows the listed names, and a domain's names under a leading dot", () => {
    expect(hosts.allows("engine.internal:4000")).toBe(true);
    expect(hosts.allows("ENGINE.INTERNAL")).toBe(true);
    expect(hosts.allows("example.com")).toBe(true);
    expect(hosts.allows("api.eu.example.com:443")).toBe(true);
    expect(hosts.allows("sub.engine.internal")).toBe(false);
    expect(hosts.allows("evilexample.com")).toBe(false);
    expect(hosts.allows("evil.example:4000")).toBe(false);
  });

  it("refuses Host headers no browser sends, and lets requests without one through", () => {
    for (const host of ["", " ", "evil.example@localhost", "localhost/x", "localhost:4000:1", "[::1", "a b"]) {
      expect(hosts.allows(host), JSON.stringify(host)).toBe(false);
    }
    expect(hosts.allows(undefined)).toBe(true);
    expect(hostName("Ex\u00e4mple.COM.:8080")).toBe("xn--exmple-cua.com");
  });

  it("allows any host with *", () => {
    expect(new AllowedHosts(["*"]).allows("evil.example")).toBe(true);
  });
});

describe("settings", () => {
  it("binds 127.0.0.1 in embedded mode and 0.0.0.0 in production mode, unless HOST says otherwise", () => {
    expect(loadConfig({}).HOST).toBe("127.0.0.1");
    expect(loadConfig(PRODUCTION).HOST).toBe("0.0.0.0");
    expect(loadConfig({ HOST: "0.0.0.0" }).HOST).toBe("0.0.0.0");
    expect(loadConfig({ ...PRODUCTION, HOST: "::1" }).HOST).toBe("::1");
    expect(loadConfig({ HOST: "engine.lan" }).HOST).toBe("engine.lan");
  });

  it("checks Host in embedded mode (adding HOST when it is a name), in production mode only when ALLOWED_HOSTS is set", () => {
    expect(allowedHostsFor(loadConfig({}))?.allows("evil.example")).toBe(false);
    expect(allowedHostsFor(loadConfig({ HOST: "engine.lan" }))?.allows("engine.lan:4000")).toBe(true);
    expect(allowedHostsFor(loadConfig({ ALLOWED_HOSTS: "*" }))?.allows("evil.example")).toBe(true);
    expect(allowedHostsFor(loadConfig(PRODUCTION))).toBeUndefined();
    const listed = allowedHostsFor(loadConfig({ ...PRODUCTION, ALLOWED_HOSTS: "api.example.com, .corp" }));
    expect(listed?.allows("api.example.com")).toBe(true);
    expect(listed?.allows("engine.corp")).toBe(true);
    expect(listed?.allows("evil.example")).toBe(false);
  });

  it("allows the original UI as localhost:5173 and 127.0.0.1:5173 by default", () => {
    expect(loadConfig({}).CORS_ORIGINS).toEqual(["http://localhost:5173", "http://127.0.0.1:5173"]);
  });

  it("names HOST and ALLOWED_HOSTS when they are not addresses or names", () => {
    for (const env of [{ HOST: "http://0.0.0.0" }, { HOST: "a b" }, { ALLOWED_HOSTS: "example.com:4000" }]) {
      let error: unknown;
      try {
        loadConfig(env);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(env)).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems[0]).toMatch(new RegExp(`^${Object.keys(env)[0]}`));
    }
  });

  it("the Docker image listens on every address: a container is reached through its published ports", () => {
    const dockerfile = readFileSync(new URL("../../Dockerfile", import.meta.url), "utf8");
    const runtime = dockerfile.slice(dockerfile.indexOf("AS runtime"));
    expect(runtime).toMatch(/^ENV .*\bHOST=0\.0\.0\.0\b/m);
  });
});

describe("WebSocket upgrades", () => {
  const policy = { origins: new AllowedOrigins(["http://localhost:5173"]), hosts: new AllowedHosts([]) };

  it("accepts no Origin, an allowed one and the server's own; refuses others and foreign hosts", () => {
    expect(upgradeRefusal({ host: "localhost:4000" }, policy)).toBeUndefined();
    expect(upgradeRefusal({ host: "localhost:4000", origin: "http://localhost:5173" }, policy)).toBeUndefined();
    expect(upgradeRefusal({ host: "localhost:4000", origin: "http://localhost:4000" }, policy)).toBeUndefined();
    expect(upgradeRefusal({ host: "localhost:4000", origin: "https://evil.example" }, policy)).toMatch(/CORS_ORIGINS/);
    expect(upgradeRefusal({ host: "evil.example:4000", origin: "http://evil.example:4000" }, policy)).toMatch(
      /ALLOWED_HOSTS/,
    );
    expect(upgradeRefusal({ host: "evil.example:4000" }, { ...policy, hosts: undefined })).toBeUndefined();
  });
});

describe("JSON content types", () => {
  it("accepts application/json and JSON-based types, with parameters, in any case", () => {
    for (const type of [
      "application/json",
      "application/json; charset=utf-8",
      "Application/JSON",
      " application/json ;charset=UTF-8",
      "application/graphql+json",
      "application/merge-patch+json",
    ]) {
      expect(isJsonContentType(type), type).toBe(true);
    }
  });

  it("refuses what a form or no-cors fetch sends, and anything else", () => {
    for (const type of [
      undefined,
      "",
      "text/plain",
      "text/plain; a=application/json",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/jsonp",
      "application/graphql",
      "text/json",
      "application/json-seq",
    ]) {
      expect(isJsonContentType(type), String(type)).toBe(false);
    }
  });
});
