/**
 * A private PostgreSQL cluster for the chaos run (initdb into a temp dir, its
 * own port and socket dir), so restarting it cannot disturb anyone else's
 * server on this machine. Run as root, the server runs as the postgres user.
 */
import { existsSync, readdirSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, run, sleep } from "./util.js";

export interface PrivatePostgres {
  /** postgresql://postgres@127.0.0.1:<port>/chaos */
  url: string;
  /** `pg_ctl restart -m fast`: what `pg_ctlcluster … restart` does. */
  restart(): Promise<void>;
  /** `pg_ctl stop -m fast`, `downMs` without a server, then start: a longer outage (failover). */
  stopFor(downMs: number): Promise<void>;
  /** Stops the server at once and deletes the cluster. Safe to call twice. */
  destroy(): Promise<void>;
}

function binDir(): string {
  const root = "/usr/lib/postgresql";
  const fromEnv = process.env.PG_BIN_DIR;
  if (fromEnv) return fromEnv;
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const preferred = versions.includes("15") ? "15" : versions[0];
  if (!preferred) throw new Error(`no PostgreSQL binaries under ${root} (set PG_BIN_DIR)`);
  return path.join(root, preferred, "bin");
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const asRoot = process.getuid?.() === 0;
  // PostgreSQL refuses to run as root: run its tools as the postgres user then.
  const pgTool = (tool: string, args: string[]) =>
    asRoot ? run("runuser", ["-u", "postgres", "--", path.join(bin, tool), ...args]) : run(path.join(bin, tool), args);

  const dir = await mkdtemp(path.join(tmpdir(), "chaos-pg-"));
  const data = path.join(dir, "data");
  if (asRoot) {
    const { uid, gid } = await postgresUser();
    await chown(dir, uid, gid);
  }
  const port = await freePort();
  // Clients come over TCP; the socket lives in the temp dir, not /var/run.
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const ctl = (...args: string[]) => pgTool("pg_ctl", ["-D", data, "-l", path.join(dir, "server.log"), ...args]);
  let destroyed = false;

  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    await ctl("-m", "immediate", "-w", "stop").catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await pgTool("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
    await ctl("-o", serverOptions, "-w", "-t", "30", "start");
    await pgTool("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "chaos"]);
  } catch (error) {
    await destroy();
    throw error;
  }
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/chaos`,
    restart: async () => {
      await ctl("-o", serverOptions, "-m", "fast", "-w", "-t", "30", "restart");
    },
    stopFor: async (downMs) => {
      await ctl("-m", "fast", "-w", "-t", "30", "stop");
      await sleep(downMs);
      await ctl("-o", serverOptions, "-w", "-t", "30", "start");
    },
    destroy,
  };
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const uid = Number((await run("id", ["-u", "postgres"])).trim());
  const gid = Number((await run("id", ["-g", "postgres"])).trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error("no postgres user to run PostgreSQL as");
  return { uid, gid };
}
