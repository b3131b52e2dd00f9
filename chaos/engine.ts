/**
 * The engine under test as real processes: one server (src/server.ts) and
 * worker processes (src/worker.ts). A process that exits without being told
 * to is recorded as a crash and started again, as a supervisor would.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sleep, waitFor } from "./util.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface Crash {
  name: string;
  at: number;
  code: number | null;
  signal: string | null;
  /** The last lines the process wrote. */
  tail: string;
}

export interface LogLine {
  process: string;
  at: number;
  level: number;
  msg: string;
  err?: string;
}

interface Managed {
  name: string;
  script: "src/server.ts" | "src/worker.ts";
  child: ChildProcess;
  /** Set when we stop or kill it on purpose. */
  expected: boolean;
  tail: string[];
}

export class Engine {
  readonly crashes: Crash[] = [];
  readonly logs: LogLine[] = [];
  private readonly processes = new Map<string, Managed>();
  private workerCount = 0;
  private closing = false;

  constructor(
    private readonly env: Record<string, string>,
    readonly port: number,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async startServer(): Promise<void> {
    this.spawn("server", "src/server.ts");
    await waitFor(
      "the server to be ready",
      async () => (await fetch(`${this.baseUrl}/readyz`, { signal: AbortSignal.timeout(2000) })).ok,
      60_000,
      200,
    ).catch((error: unknown) => {
      const output = this.crashes.map((c) => c.tail).join("\n") || this.processes.get("server")?.tail.join("\n");
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${output ?? ""}`);
    });
  }

  /** Starts a worker process; returns its name. */
  startWorker(): string {
    this.workerCount += 1;
    const name = `worker-${this.workerCount}`;
    this.spawn(name, "src/worker.ts");
    return name;
  }

  workers(): string[] {
    return [...this.processes.values()].filter((p) => p.script === "src/worker.ts").map((p) => p.name);
  }

  /** kill -9: no shutdown hooks, as when a machine dies. */
  async killHard(name: string): Promise<void> {
    const managed = this.processes.get(name);
    if (!managed) throw new Error(`no process ${name}`);
    managed.expected = true;
    this.processes.delete(name);
    await signalAndWait(managed.child, "SIGKILL");
  }

  /** SIGTERM every process (SIGKILL after `graceMs`). */
  async stopAll(graceMs = 10_000): Promise<void> {
    this.closing = true;
    const all = [...this.processes.values()];
    this.processes.clear();
    await Promise.all(
      all.map(async (managed) => {
        managed.expected = true;
        const timer = setTimeout(() => managed.child.kill("SIGKILL"), graceMs);
        await signalAndWait(managed.child, "SIGTERM");
        clearTimeout(timer);
      }),
    );
  }

  private spawn(name: string, script: Managed["script"]): void {
    if (this.closing) return; // stopAll() ran (the run is ending): start nothing it would miss
    const child = spawn(process.execPath, ["--import", "tsx", script], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...this.env, PORT: String(this.port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const managed: Managed = { name, script, child, expected: false, tail: [] };
    this.processes.set(name, managed);
    const onOutput = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) {
        if (line.trim() === "") continue;
        managed.tail.push(line);
        if (managed.tail.length > 40) managed.tail.shift();
        this.logs.push(parseLine(name, line));
      }
    };
    child.stdout.on("data", onOutput);
    child.stderr.on("data", onOutput);
    child.once("exit", (code, signal) => {
      if (managed.expected || this.closing) return;
      this.crashes.push({ name, at: Date.now(), code, signal, tail: managed.tail.join("\n") });
      this.processes.delete(name);
      // Started again after a pause, as a supervisor would (same name, same role).
      void sleep(500).then(() => {
        if (!this.closing) this.spawn(name, script);
      });
    });
  }
}

function signalAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(signal);
  return exited;
}

/** pino JSON lines; anything else (a stack trace on stderr) counts as an error line. */
function parseLine(process: string, line: string): LogLine {
  try {
    const parsed = JSON.parse(line) as { level?: number; msg?: string; err?: { type?: string; message?: string } };
    const err = parsed.err ? `${parsed.err.type ?? "Error"}: ${parsed.err.message ?? ""}` : undefined;
    return { process, at: Date.now(), level: parsed.level ?? 50, msg: parsed.msg ?? line, err };
  } catch {
    return { process, at: Date.now(), level: 60, msg: line.slice(0, 300) };
  }
}
