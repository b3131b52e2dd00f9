import { Prisma } from "../generated/prisma/client.js";

/**
 * A unique constraint refused the write: someone else wrote that row first.
 * Prisma says P2002 for its own queries and P2010 (with the driver's cause) for
 * raw ones; node-postgres gives SQLSTATE 23505 directly (src/db/pg-sql.ts).
 */
export function isUniqueViolation(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    if (error.code === "P2002") return true;
    const meta = error.meta as { driverAdapterError?: { cause?: { kind?: unknown } } } | undefined;
    return error.code === "P2010" && meta?.driverAdapterError?.cause?.kind === "UniqueConstraintViolation";
  }
  return error instanceof Error && (error as { code?: unknown }).code === "23505";
}

/** The driver adapter's description of a failed statement (@prisma/adapter-pg's mapped error). */
interface DriverCause {
  kind?: unknown;
  code?: unknown;
}

/** Prisma codes for "no usable connection": can't reach, timed out, closed, no pool slot. */
const UNAVAILABLE_PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
const UNAVAILABLE_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
/** SQLSTATE: admin/crash shutdown, starting up or shutting down, too many connections. */
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300"]);
const UNAVAILABLE_SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH"]);
/** node-postgres's own connection errors (they carry no code). */
const PG_CONNECTION_MESSAGE =
  /not queryable|Connection terminated|Client was closed|timeout exceeded when trying to connect/i;

/** The mapped cause, whether we hold the adapter's DriverAdapterError or Prisma's error around it. */
function driverCause(error: unknown): DriverCause | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name === "DriverAdapterError" && typeof error.cause === "object" && error.cause !== null) {
    return error.cause as DriverCause;
  }
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    const adapterError = (error.meta as { driverAdapterError?: { cause?: DriverCause } } | undefined)
      ?.driverAdapterError;
    return adapterError?.cause;
  }
  return undefined;
}

/**
 * The statement never reached PostgreSQL: the connection could not be made
 * (refused, server starting up or shutting down, no connection slot), or the
 * pooled client was already broken. Retrying it cannot run it twice.
 */
export function isConnectFailure(error: unknown): boolean {
  const cause = driverCause(error);
  if (cause) {
    if (cause.kind === "DatabaseNotReachable" || cause.kind === "TooManyConnections") return true;
    return cause.kind === "postgres" && (cause.code === "57P03" || cause.code === "53300");
  }
  // node-postgres's own errors (the engine's SQL path talks to pg directly).
  const code = pgCode(error);
  if (code === "ECONNREFUSED" || code === "57P03" || code === "53300") return true;
  return error instanceof Error && /not queryable/i.test(error.message);
}

/** The `code` of a node-postgres error: a SQLSTATE, or a socket error code such as ECONNREFUSED. */
function pgCode(error: unknown): string | undefined {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : undefined;
}

/**
 * PostgreSQL is unreachable or went away mid-statement (restart, failover,
 * network): a temporary condition, answered 503 rather than 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientInitializationError) return true;
  if (error instanceof Prisma.PrismaClientKnownRequestError && UNAVAILABLE_PRISMA_CODES.has(error.code)) return true;
  const cause = driverCause(error);
  if (cause) {
    if (typeof cause.kind === "string" && UNAVAILABLE_KINDS.has(cause.kind)) return true;
    const code = typeof cause.code === "string" ? cause.code : "";
    return code.startsWith("08") || UNAVAILABLE_SQLSTATES.has(code);
  }
  const code = pgCode(error) ?? "";
  if (UNAVAILABLE_SOCKET_CODES.has(code) || code.startsWith("08") || UNAVAILABLE_SQLSTATES.has(code)) return true;
  return error instanceof Error && PG_CONNECTION_MESSAGE.test(error.message);
}

/**
 * SQLSTATE classes of errors that the same statement with the same data meets
 * again however often it is retried, whatever else happens meanwhile:
 * 22 data exception (22001 string_data_right_truncation, 22021
 * character_not_in_repertoire: a NUL in text, 22P05 untranslatable_character:
 * \u0000 in jsonb, 22P02 invalid JSON, …) and 54 program limit exceeded (54000:
 * "index row size exceeds btree maximum", 54001 statement too complex, …).
 * Not included, as a retry may succeed: 23 constraint violations (they depend
 * on other rows), 40 serialization failures and deadlocks, 42 missing tables
 * or columns (a migration not yet applied), 53 insufficient resources (disk
 * full, out of memory), 57 operator intervention, 08 connection errors.
 */
const PERMANENT_SQLSTATE_CLASSES = new Set(["22", "54"]);

/** The SQLSTATE and PostgreSQL's own message of a failed statement, through Prisma's driver adapter or from pg. */
function sqlState(error: unknown): { code: string; message: string } | undefined {
  const cause = driverCause(error) as (DriverCause & { originalCode?: unknown; originalMessage?: unknown }) | undefined;
  if (cause) {
    const code = typeof cause.originalCode === "string" ? cause.originalCode : cause.code;
    if (typeof code !== "string") return undefined;
    const message = typeof cause.originalMessage === "string" ? cause.originalMessage : (error as Error).message;
    return { code, message };
  }
  const code = pgCode(error);
  return code && /^[0-9A-Z]{5}$/.test(code) ? { code, message: (error as Error).message } : undefined;
}

/**
 * Why writing a step's record can never succeed, or undefined when it might on
 * another try: PostgreSQL refused the data itself (PERMANENT_SQLSTATE_CLASSES),
 * or the statement could not even be built (a RangeError such as V8's
 * "Invalid string length"; JavaScript raises those for sizes and depths, never
 * for the network). The reason is PostgreSQL's or V8's own message.
 */
export function permanentWriteError(error: unknown): string | undefined {
  if (error instanceof RangeError) return `the statement could not be built: ${error.message}`;
  const state = sqlState(error);
  if (!state || !PERMANENT_SQLSTATE_CLASSES.has(state.code.slice(0, 2))) return undefined;
  return `${state.message} (SQLSTATE ${state.code})`;
}
