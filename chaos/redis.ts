/**
 * A private redis-server keeping nothing on disk, so "restart it empty" is a
 * kill and a start on the same port, and nobody else's Redis is touched.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { Redis } from "ioredis";
import { freePort, sleep, waitFor } from "./util.js";

export interface PrivateRedis {
  url: string;
  /** kill -9, stay down for `downMs`, start again on the same port with no data. */
  restartEmpty(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const start = async () => {
    const server = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: "ignore" },
    );
    child = server;
    await waitFor("redis-server to answer PING", () => ping(url), 10_000, 50);
  };
  const kill = async () => {
    const current = child;
    child = undefined;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise((resolve) => current.once("exit", resolve));
    current.kill("SIGKILL");
    await exited;
  };

  await start();
  return {
    url,
    async restartEmpty(downMs) {
      await kill();
      await sleep(downMs);
      await start();
    },
    stop: kill,
  };
}

async function ping(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => {}); // refused until the server listens; the caller polls
  try {
    await probe.connect();
    return (await probe.ping()) === "PONG";
  } finally {
    probe.disconnect();
  }
}
