/**
 * docker compose cannot run on these machines, so its files are checked with
 * what can: parsed, and kept in step with the scripts and entry points.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { WORKER_NODE_FLAGS } from "../../bench/processes.js";

const root = new URL("../../", import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), "utf8");
const pkg = JSON.parse(read("package.json")) as { scripts: Record<string, string> };

interface Service {
  image?: string;
  build?: { context: string; target: string };
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
}

describe("docker-compose.yml", () => {
  const compose = parse(read("docker-compose.yml")) as { services: Record<string, Service> };
  const { services } = compose;

  it("runs PostgreSQL and Redis with health checks, Redis without eviction and with persistence", () => {
    expect(services.postgres?.healthcheck?.test.join(" ")).toContain("pg_isready");
    expect(services.redis?.healthcheck?.test).toEqual(["CMD", "redis-cli", "ping"]);
    expect(services.redis?.command).toEqual(
      expect.arrayContaining(["--maxmemory-policy", "noeviction", "--appendonly", "yes"]),
    );
  });

  it("migrates once before the server and workers start", () => {
    expect(services.migrate?.command).toEqual(["npm", "run", "db:migrate"]);
    expect(pkg.scripts["db:migrate"]).toBe("prisma migrate deploy");
    for (const name of ["server", "worker"]) {
      expect(services[name]?.depends_on?.migrate?.condition).toBe("service_completed_successfully");
      expect(services[name]?.depends_on?.redis?.condition).toBe("service_healthy");
      expect(Object.keys(services[name]?.environment ?? {})).toEqual(
        expect.arrayContaining(["DATABASE_URL", "REDIS_URL"]),
      );
    }
  });

  it("starts entry points that the build produces", () => {
    for (const name of ["server", "worker"]) {
      const [runtime, ...args] = services[name]?.command ?? [];
      const entry = args.at(-1);
      expect(runtime).toBe("node");
      const source = (entry as string).replace(/^dist\//, "src/").replace(/\.js$/, ".ts");
      expect(existsSync(new URL(source, root)), `${entry} is built from ${source}`).toBe(true);
    }
    expect(services.worker?.ports).toBeUndefined(); // scalable: --scale worker=N must not clash on ports
    // The bench measures workers as they are deployed.
    expect(services.worker?.command?.slice(1, -1)).toEqual(WORKER_NODE_FLAGS);
  });

  it("builds the stages the Dockerfile defines", () => {
    const stages = [...read("Dockerfile").matchAll(/^FROM \S+ AS (\w+)$/gm)].map((m) => m[1]);
    for (const service of Object.values(services)) {
      if (service.build) expect(stages).toContain(service.build.target);
    }
  });
});

describe("Dockerfile", () => {
  const dockerfile = read("Dockerfile");

  it("is multi-stage, ships production dependencies only and runs as a non-root user", () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    const runtime = dockerfile.slice(dockerfile.indexOf("AS runtime"));
    expect(runtime).toContain("npm ci --omit=dev");
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toContain("COPY --from=build /app/dist ./dist");
    expect(pkg.scripts.build).toContain("tsc -p tsconfig.build.json");
  });

  it("uses the Node major the project runs on", () => {
    for (const [, version] of dockerfile.matchAll(/^FROM node:(\d+)/gm))
      expect(version).toBe(process.versions.node.split(".")[0]);
  });
});
