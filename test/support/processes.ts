/**
 * Real processes for durability tests: a worker running src/worker.ts, and a
 * private redis-server that a test may FLUSHALL without touching anyone else.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { freePort } from "./ports.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export class ChildHandle {
  readonly exited: Promise<number | null>;
  output = "";

  constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    child.stdout?.on("data", (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      this.output += chunk.toString();
    });
  }

  /** kill -9: no shutdown hooks, no cleanup, as when a machine dies. */
  async killHard(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGKILL");
    await this.exited;
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** Starts `src/worker.ts` in its own Node process with the given environment. */
export function spawnWorker(env: Record<string, string>): ChildHandle {
  const child = spawn(process.execPath, ["--import", "tsx", "src/worker.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new ChildHandle(child);
}

export interface RedisServer {
  url: string;
  handle: ChildHandle;
  stop(): Promise<void>;
}

/** FLUSHALL on a Redis of a test's own: every queued job and key is gone, as after a restart without persistence. */
export async function flushRedis(url: string): Promise<void> {
  const admin = new Redis(url);
  try {
    const answer = await admin.flushall();
    if (answer !== "OK") throw new Error(`FLUSHALL answered ${answer}`);
  } finally {
    await admin.quit();
  }
}

/** A redis-server of our own on a free port, keeping nothing on disk. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const handle = new ChildHandle(child);
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => {}); // refused until the server listens; the loop below retries
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch (error) {
      probe.disconnect();
      if (Date.now() > deadline) throw new Error(`redis-server did not start: ${String(error)}\n${handle.output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  await probe.quit();
  return { url, handle, stop: async () => void (await handle.stop()) };
}
