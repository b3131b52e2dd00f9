/**
 * The GraphQL-over-HTTP conformance audits that ship with graphql-http, run
 * against the real server on a free port. Every MUST audit has to pass.
 */
import { serverAudits } from "graphql-http";
import { describe, expect, it } from "vitest";
import { useServedEngine } from "../support/served-engine.js";

const served = useServedEngine();

describe("GraphQL over HTTP conformance (graphql-http serverAudits)", () => {
  const audits = serverAudits({ url: () => `${served.server.url}/graphql` });
  const musts = audits.filter((audit) => audit.name.startsWith("MUST"));

  it("has MUST audits to run", () => {
    expect(musts.length).toBeGreaterThan(10);
  });

  for (const audit of musts) {
    it(audit.name, async () => {
      const result = await audit.fn();
      expect(result.status === "ok" ? "ok" : `${result.status}: ${"reason" in result ? result.reason : ""}`).toBe("ok");
    });
  }
});
