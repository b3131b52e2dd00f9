/**
 * The GraphQL-over-HTTP conformance audits that ship with graphql-http, run
 * against the real server on a free port. Every MUST audit has to pass.
 */
import { serverAudits } from "graphql-http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen, type RunningServer } from "../../src/listen.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, type TestEngine } from "../support/engine.js";

const database = useTestDatabase();
let engine: TestEngine;
let server: RunningServer;

beforeAll(async () => {
  engine = await startTestEngine(database.url, { worker: false });
  server = await listen(engine, 0, "127.0.0.1");
});

afterAll(async () => {
  await server?.close();
  await engine?.stop();
});

describe("GraphQL over HTTP conformance (graphql-http serverAudits)", () => {
  const audits = serverAudits({ url: () => `${server.url}/graphql` });
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
