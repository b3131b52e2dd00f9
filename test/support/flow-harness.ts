/**
 * The usual setup of a flow test: a private database, a real engine with a
 * worker, and a local HTTP server for http_call nodes. Call at a file's top level;
 * the returned object is filled before the first test.
 */
import { afterAll, beforeAll } from "vitest";
import { type TestDatabase, useTestDatabase } from "./database.js";
import { startTestEngine, type TestEngine } from "./engine.js";
import { TestHttpServer } from "./http-server.js";

export interface FlowHarness {
  database: TestDatabase;
  engine: TestEngine;
  server: TestHttpServer;
}

export function useFlowHarness(): FlowHarness {
  const harness = { database: useTestDatabase() } as FlowHarness;
  beforeAll(async () => {
    harness.server = await new TestHttpServer().start();
    harness.engine = await startTestEngine(harness.database.url);
  });
  afterAll(async () => {
    await harness.engine?.stop();
    await harness.server?.stop();
  });
  return harness;
}
