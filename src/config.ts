/**
 * The only reader of process.env. Parses and validates every setting into a
 * typed, frozen Config; a bad variable stops start-up with a message naming it.
 */
import { isIP } from "node:net";
import { z } from "zod";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** A retention in days (fractions allowed); 0 keeps forever. */
const days = z.coerce.number().min(0).max(36_500);
const list = z.string().transform((v) =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
);

/** A DNS name (labels of letters, digits, hyphens and underscores), as HOST may be. */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/i;
/** An ALLOWED_HOSTS entry: a name, ".name" (and its subdomains), "*", or an IP address (always allowed anyway). */
const ALLOWED_HOST = /^(\*|\.?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*|\[[0-9a-f:.]+\])$/i;

const schema = z.object({
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  PORT: int(0, 65535).default(4000),
  /**
   * The address the HTTP server binds: 127.0.0.1 by default in embedded mode (this
   * machine only), 0.0.0.0 in production mode (see loadConfig). "::" binds every
   * IPv6 and IPv4 address.
   */
  HOST: z
    .string()
    .refine((v) => isIP(v) !== 0 || HOST_NAME.test(v), "must be an IP address or a host name")
    .optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** json for machines; pretty for people (the default in embedded mode). */
  LOG_FORMAT: z.enum(["json", "pretty"]).optional(),
  /** Embedded mode keeps its database here. */
  DATA_DIR: z.string().min(1).default(".data"),
  /** BullMQ queue name and Redis key prefix, so several deployments can share a Redis. */
  QUEUE_NAME: z
    .string()
    .regex(/^[\w-]+$/, "letters, digits, _ and - only")
    .default("workflow-steps"),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[\w-]+$/, "letters, digits, _ and - only")
    .default("wf"),
  WORKER_CONCURRENCY: int(1, 1000).default(16),
  /**
   * How long a worker's hold on a job lasts without renewal. A job fetched by a
   * worker that died comes back after this, plus at most QUEUE_STALLED_INTERVAL_MS.
   */
  QUEUE_LOCK_MS: int(1_000, 600_000).default(30_000),
  QUEUE_STALLED_INTERVAL_MS: int(500, 600_000).default(15_000),
  DB_POOL_SIZE: int(1, 200).default(10),
  /** How often the reconciler looks for lost or overdue work. */
  RECONCILE_INTERVAL_MS: int(100, 3_600_000).default(5_000),
  /** Work older than this without progress counts as lost (its job vanished). */
  RECONCILE_GRACE_MS: int(0, 3_600_000).default(15_000),
  /** How long a claimed step may run before another worker may take it over. */
  STEP_LEASE_MS: int(1_000, 3_600_000).default(60_000),
  MAX_STEPS_PER_EXECUTION: int(1, 100_000).default(1_000),
  /** How deep call_workflow and for_each may nest (a workflow calling itself stops there). */
  MAX_CALL_DEPTH: int(1, 1_000).default(10),
  /** Reruns per second one bulk replay starts (replayExecutions). */
  REPLAY_RATE_PER_SECOND: int(1, 10_000).default(50),
  /**
   * Retention (engine/retention.ts), in days (fractions allowed); 0 keeps forever. Finished
   * executions are deleted, with their steps, notifications and change log, this long after they
   * ended: SUCCEEDED (and SKIPPED) after RETENTION_SUCCEEDED_DAYS, FAILED and CANCELLED after
   * RETENTION_FAILED_DAYS. Events after RETENTION_EVENTS_DAYS, once nothing kept refers to them.
   */
  RETENTION_SUCCEEDED_DAYS: days.default(30),
  RETENTION_FAILED_DAYS: days.default(90),
  RETENTION_EVENTS_DAYS: days.default(30),
  /** The change log (ExecutionChange) of an execution finished this long ago is deleted; 0: never. */
  RETENTION_CHANGE_LOG_DAYS: days.default(7),
  /** How often a worker runs a pruning pass (one worker at a time prunes). */
  RETENTION_INTERVAL_MS: int(1_000, 86_400_000).default(60_000),
  /** Executions deleted per transaction: each batch holds its row locks only this long. */
  RETENTION_BATCH_SIZE: int(1, 10_000).default(200),
  /** The pause between two batches, so the pruner leaves the database to the engine. */
  RETENTION_BATCH_PAUSE_MS: int(0, 60_000).default(50),
  MAX_EVENT_BYTES: int(2, 50_000_000).default(1_000_000),
  /** Largest HTTP request body (GraphQL and REST); must hold an event plus its envelope. */
  MAX_REQUEST_BYTES: int(1_000, 100_000_000).default(2_000_000),
  GRAPHQL_MAX_DEPTH: int(1, 100).default(12),
  /**
   * Estimated work of one GraphQL operation (src/graphql/cost.ts): every field counts 1 (a JSON
   * field 10) times the size of every list around it (first/last, or the page size).
   */
  GRAPHQL_MAX_COST: int(1, 100_000_000).default(50_000),
  GRAPHQL_MAX_ALIASES: int(0, 1_000).default(15),
  GRAPHQL_MAX_TOKENS: int(10, 1_000_000).default(5_000),
  /** Largest GraphQL result (bytes of JSON) sent in one response or subscription event; larger ones become an error. */
  GRAPHQL_MAX_RESPONSE_BYTES: int(10_000, 1_000_000_000).default(10_000_000),
  /** Operations one GraphQL WebSocket may have open at once (subscriptions and queries in flight). */
  GRAPHQL_MAX_OPERATIONS_PER_SOCKET: int(1, 100_000).default(100),
  /**
   * How long a client may take to send a whole request, and its headers (Node's requestTimeout
   * and headersTimeout): a body shorter than its Content-Length is dropped (408) after this.
   */
  HTTP_REQUEST_TIMEOUT_MS: int(100, 3_600_000).default(30_000),
  HTTP_HEADERS_TIMEOUT_MS: int(100, 3_600_000).default(10_000),
  /** Largest step output, input and notification message stored whole; larger ones as a preview. */
  MAX_STEP_OUTPUT_BYTES: int(1_000, 50_000_000).default(256_000),
  /**
   * Largest value one templated field of a node may render to (bytes of JSON). A template
   * can repeat a large payload many times; rendering stops at this size, before building
   * anything larger, and the step fails with a clear error.
   */
  MAX_TEMPLATE_OUTPUT_BYTES: int(1_000, 50_000_000).default(1_000_000),
  /**
   * Largest workflow graph a save accepts (REST, GraphQL createWorkflow/updateWorkflow and
   * validateWorkflow): more nodes or edges is a validation error naming the setting. Bounds
   * the work and the row size of one workflow; the execution-time bound is MAX_STEPS_PER_EXECUTION.
   */
  MAX_GRAPH_NODES: int(1, 100_000).default(500),
  MAX_GRAPH_EDGES: int(0, 1_000_000).default(2_000),
  /**
   * CIDR ranges http_call may reach although they are private, loopback or
   * link-local (refused by default), e.g. "127.0.0.0/8,::1/128" for local work.
   */
  HTTP_ALLOWED_NETWORKS: list.default([]),
  HTTP_ALLOW_ALL_NETWORKS: bool.default(false),
  /**
   * Largest response body http_call reads (bytes, decompressed). The body is read as it
   * arrives and the request aborted past this (or when Content-Length announces more);
   * the step fails, not retried. Each running call may hold this much.
   */
  MAX_HTTP_RESPONSE_BYTES: int(1_000, 500_000_000).default(10_000_000),
  /**
   * Comma-separated API keys. When set, every request but /healthz and /readyz
   * needs `Authorization: Bearer <key>` (WebSocket: connectionParams.Authorization).
   */
  API_KEYS: list.default([]),
  /**
   * OpenTelemetry: read here only to decide whether traces are on (src/telemetry/switch.ts); the
   * SDK, once loaded, reads these and the other standard OTEL_* variables itself.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().optional(),
  OTEL_TRACES_EXPORTER: z.string().optional(),
  OTEL_SDK_DISABLED: z.string().optional(),
  OTEL_SERVICE_NAME: z.string().optional(),
  /**
   * Browser origins allowed to call the APIs (CORS) and to open GraphQL WebSockets; "*" for
   * any. The original UI runs on :5173, reached as localhost or 127.0.0.1.
   */
  CORS_ORIGINS: list.default(["http://localhost:5173", "http://127.0.0.1:5173"]),
  /**
   * Host names requests may be addressed to (the Host header), against DNS rebinding; a
   * leading dot allows subdomains too, "*" any. localhost and IP addresses are always
   * allowed. Unset: embedded mode checks (allowing HOST when it is a name), production
   * mode does not (see http/allowed-hosts.ts).
   */
  ALLOWED_HOSTS: list
    .pipe(z.array(z.string().regex(ALLOWED_HOST, 'must be a host name without a port, ".example.com" or "*"')))
    .optional(),
});

/**
 * production: DATABASE_URL and REDIS_URL set; PostgreSQL + Redis, any number of processes.
 * embedded: neither set; PGlite, an in-process queue and bus, one process.
 */
export type Mode = "production" | "embedded";

export type Config = Readonly<Omit<z.infer<typeof schema>, "HOST"> & { MODE: Mode; HOST: string }>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const relevant = Object.fromEntries(
    Object.keys(schema.shape).flatMap((key) => (env[key] === undefined || env[key] === "" ? [] : [[key, env[key]]])),
  );
  const parsed = schema.safeParse(relevant);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  const { DATABASE_URL, REDIS_URL } = parsed.data;
  if (Boolean(DATABASE_URL) !== Boolean(REDIS_URL)) {
    const missing = DATABASE_URL ? "REDIS_URL" : "DATABASE_URL";
    throw new ConfigError([
      `${missing}: required when ${missing === "REDIS_URL" ? "DATABASE_URL" : "REDIS_URL"} is set (set both for production mode, neither for embedded mode)`,
    ]);
  }
  const MODE: Mode = DATABASE_URL ? "production" : "embedded";
  // Embedded mode is one person's engine on their machine: nothing else on the network reaches it.
  const HOST = parsed.data.HOST ?? (MODE === "embedded" ? "127.0.0.1" : "0.0.0.0");
  return Object.freeze({ ...parsed.data, MODE, HOST });
}
