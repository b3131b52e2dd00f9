/**
 * The engine as it runs in production: compiled to dist/ (`npm run build`'s
 * tsc step), then the server (dist/server.js) and the workers
 * (dist/worker.js) as separate `node` processes, as the Dockerfile runs them.
 * Not through tsx: its loader would add CPU at start and about 70 MiB to every
 * process's memory. The pid we hold is the engine's own process, so
 * /proc/<pid>/status tells its peak memory.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { freePort } from "../test/support/ports.js";
import { onCleanup } from "./cleanup.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** Kept of each child's output, to show when it dies. */
const OUTPUT_TAIL_CHARS = 8000;
/** USER_HZ, the unit of /proc/<pid>/stat times: 100 on every Linux build that matters. */
const CLOCK_TICKS_PER_SECOND = 100;

export class EngineProcess {
  private output = "";
  readonly exited: Promise<void>;

  constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The end of what the process printed (its warnings and errors: LOG_LEVEL=warn). */
  recentOutput(): string {
    return this.output;
  }

  /** Throws, with the end of the process's output, if it has died. */
  assertRunning(): void {
    if (this.running) return;
    const how = this.child.exitCode === null ? `signal ${this.child.signalCode}` : `status ${this.child.exitCode}`;
    throw new Error(`${this.label} exited (${how}); its last output:\n${this.output}`);
  }

  /** Peak resident set size (VmHWM) in MiB, or undefined where /proc is not available. */
  peakRssMiB(): number | undefined {
    if (!this.pid || !this.running) return undefined;
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, "utf8");
      const kib = /^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1];
      return kib === undefined ? undefined : Number(kib) / 1024;
    } catch {
      return undefined;
    }
  }

  /** CPU time (user + system) the process has used so far, in seconds, from /proc/<pid>/stat. */
  cpuSeconds(): number | undefined {
    if (!this.pid || !this.running) return undefined;
    try {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${this.pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
    } catch {
      return undefined;
    }
  }

  /** SIGTERM (graceful shutdown), then SIGKILL if it has not exited within 10 s. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

export interface EngineFleet {
  serverUrl: string;
  server: EngineProcess;
  workers: EngineProcess[];
  all: EngineProcess[];
  assertRunning(): void;
}

export interface FleetOptions {
  workers: number;
  /** Shared settings (DATABASE_URL, REDIS_URL, QUEUE_PREFIX, …). */
  env: Record<string, string>;
  /** Settings for the workers only (WORKER_CONCURRENCY, DB_POOL_SIZE). */
  workerEnv: Record<string, string>;
  redisUrl: string;
  queueName: string;
  queuePrefix: string;
}

/** Compiles src/ to dist/ with the project's build settings (a few seconds). */
export async function buildEngine(): Promise<void> {
  const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
  const child = spawn(process.execPath, [tsc, "-p", "tsconfig.build.json"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`building the engine (tsc -p tsconfig.build.json) failed:\n${output.slice(-4000)}`);
}

/** Starts one server and `workers` workers, and waits until the server is ready and every worker listens. */
export async function startFleet(options: FleetOptions): Promise<EngineFleet> {
  const port = await freePort();
  const server = spawnEngine("server", "dist/server.js", { ...options.env, PORT: String(port) });
  const workers = Array.from({ length: options.workers }, (_, i) =>
    spawnEngine(`worker ${i + 1}`, "dist/worker.js", { ...options.env, ...options.workerEnv }, WORKER_NODE_FLAGS),
  );
  const all = [server, ...workers];
  const fleet: EngineFleet = {
    serverUrl: `http://127.0.0.1:${port}`,
    server,
    workers,
    all,
    assertRunning: () => {
      for (const p of all) p.assertRunning();
    },
  };
  await waitUntil("the server to answer /readyz", fleet, async () => {
    const response = await fetch(`${fleet.serverUrl}/readyz`, { signal: AbortSignal.timeout(5000) }).catch(
      () => undefined,
    );
    return response?.status === 200;
  });
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(options.queueName, { connection, prefix: options.queuePrefix });
  try {
    await waitUntil(`${options.workers} worker(s) to listen on the queue`, fleet, async () => {
      return (await queue.getWorkersCount()) >= options.workers;
    });
  } finally {
    await queue.close();
    connection.disconnect();
  }
  return fleet;
}

/** The node flags docker-compose.yml runs workers with. */
export const WORKER_NODE_FLAGS = ["--max-semi-space-size=4"];

/** BENCH_NODE_ARGS: flags for the engine's node processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile them. */
function nodeArgs(): string[] {
  return (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
}

function spawnEngine(label: string, entry: string, env: Record<string, string>, flags: string[] = []): EngineProcess {
  const child = spawn(process.execPath, [...flags, ...nodeArgs(), entry], {
    cwd: ROOT,
    // Only what the engine needs, so nothing in the caller's environment (API_KEYS, …) changes what is measured.
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const engine = new EngineProcess(label, child);
  onCleanup(`stop the ${label}`, () => engine.stop());
  return engine;
}

async function waitUntil(what: string, fleet: EngineFleet, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    fleet.assertRunning();
    if (await ready()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
