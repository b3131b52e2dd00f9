/**
 * The usual setup of an API test: a private database, a real engine with a worker, and the app
 * (REST and GraphQL) over it, requested without a port. Call at a file's top level; the returned
 * object is filled before the first test.
 */
import { afterAll, beforeAll } from "vitest";
import { createApp } from "../../src/app.js";
import type { Yoga } from "../../src/graphql/yoga.js";
import { useTestDatabase } from "./database.js";
import { startTestEngine, type TestEngine } from "./engine.js";

export interface AppEngine {
  engine: TestEngine;
  app: ReturnType<typeof createApp>["app"];
  yoga: Yoga;
}

export function useAppEngine(): AppEngine {
  const database = useTestDatabase();
  const served = {} as AppEngine;
  beforeAll(async () => {
    served.engine = await startTestEngine(database.url);
    Object.assign(served, createApp(served.engine));
  });
  afterAll(async () => {
    await served.engine?.stop();
  });
  return served;
}
