/**
 * An engine served on a free port for one test file: its own database, no
 * worker unless asked (executions stay where a test puts them), closed after
 * the file's tests.
 */
import { afterAll, beforeAll } from "vitest";
import type { Clock } from "../../src/engine/index.js";
import { listen, type RunningServer } from "../../src/listen.js";
import { useTestDatabase } from "./database.js";
import { startTestEngine, type TestEngine } from "./engine.js";

export interface ServedEngine {
  readonly engine: TestEngine;
  readonly server: RunningServer;
}

export function useServedEngine(
  options: { worker?: boolean; overrides?: Record<string, string>; clock?: Clock } = {},
): ServedEngine {
  const database = useTestDatabase();
  let engine: TestEngine | undefined;
  let server: RunningServer | undefined;
  beforeAll(async () => {
    engine = await startTestEngine(database.url, { worker: false, ...options });
    server = await listen(engine, 0, "127.0.0.1");
  });
  afterAll(async () => {
    await server?.close();
    await engine?.stop();
  });
  return {
    get engine() {
      if (!engine) throw new Error("the engine starts in beforeAll");
      return engine;
    },
    get server() {
      if (!server) throw new Error("the server starts in beforeAll");
      return server;
    },
  };
}
