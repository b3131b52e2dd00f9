/**
 * Riding out outages of PostgreSQL and Redis (bugs found by `npm run chaos`):
 * which database errors mean "unavailable", which are safe to retry, the REST
 * answer (503, not 500), the GraphQL one (SERVICE_UNAVAILABLE, HTTP 503), and
 * a bus publish with Redis down (no crash).
 */
import { createSchema, createYoga } from "graphql-yoga";
import { Hono } from "hono";
import { Redis } from "ioredis";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createPrefixedRedisEventTarget } from "../../src/bus/redis-event-target.js";
import { retryConnectFailures } from "../../src/db/connect-retry.js";
import { isConnectFailure, isDatabaseUnavailable } from "../../src/db/errors.js";
import { Prisma } from "../../src/generated/prisma/client.js";
import { createErrorMasker } from "../../src/graphql/errors.js";
import { errorResponse } from "../../src/rest/errors.js";

/** An error as @prisma/adapter-pg throws it, with the mapped cause. */
function adapterError(cause: Record<string, unknown>): Error {
  return Object.assign(new Error(String(cause.kind)), { name: "DriverAdapterError", cause });
}

/** The same error as Prisma hands it to our code. */
function prismaError(code: string, cause: Record<string, unknown>) {
  return new Prisma.PrismaClientKnownRequestError("failed", {
    code,
    clientVersion: "7",
    meta: { driverAdapterError: { name: "DriverAdapterError", cause } },
  });
}

/** node-postgres's own error: a message and a code (SQLSTATE, or the socket's). */
function pgError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

const NOT_REACHABLE = { kind: "DatabaseNotReachable", host: "127.0.0.1", port: 5432 };
const STARTING_UP = { kind: "postgres", code: "57P03", message: "the database system is starting up" };
const TERMINATED = { kind: "postgres", code: "57P01", message: "terminating connection due to administrator command" };

describe("database outages", () => {
  it("tells an unavailable database from a bad statement", () => {
    expect(isDatabaseUnavailable(prismaError("P1001", NOT_REACHABLE))).toBe(true);
    expect(isDatabaseUnavailable(prismaError("P1017", { kind: "ConnectionClosed" }))).toBe(true);
    expect(isDatabaseUnavailable(prismaError("P2010", STARTING_UP))).toBe(true);
    expect(isDatabaseUnavailable(prismaError("P2039", TERMINATED))).toBe(true);
    expect(isDatabaseUnavailable(new Error("Client has encountered a connection error and is not queryable"))).toBe(
      true,
    );
    expect(isDatabaseUnavailable(prismaError("P2002", { kind: "UniqueConstraintViolation" }))).toBe(false);
    expect(isDatabaseUnavailable(prismaError("P2010", { kind: "postgres", code: "42601" }))).toBe(false);
    expect(isDatabaseUnavailable(new Error("boom"))).toBe(false);
    // node-postgres's own errors, as the engine's SQL path sees them.
    expect(isDatabaseUnavailable(pgError("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED"))).toBe(true);
    expect(isDatabaseUnavailable(pgError("terminating connection due to administrator command", "57P01"))).toBe(true);
    expect(isDatabaseUnavailable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isDatabaseUnavailable(pgError('relation "x" does not exist', "42P01"))).toBe(false);
  });

  it("retries only what certainly never reached PostgreSQL", () => {
    expect(isConnectFailure(adapterError(NOT_REACHABLE))).toBe(true);
    expect(isConnectFailure(adapterError(STARTING_UP))).toBe(true);
    expect(isConnectFailure(new Error("Client has encountered a connection error and is not queryable"))).toBe(true);
    // Cut off mid-statement: it may have committed, so it is not retried.
    expect(isConnectFailure(adapterError(TERMINATED))).toBe(false);
    expect(isConnectFailure(adapterError({ kind: "ConnectionClosed" }))).toBe(false);
    expect(isConnectFailure(pgError("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED"))).toBe(true);
    expect(isConnectFailure(pgError("the database system is starting up", "57P03"))).toBe(true);
    expect(isConnectFailure(pgError("terminating connection due to administrator command", "57P01"))).toBe(false);
    expect(isConnectFailure(new Error("Connection terminated unexpectedly"))).toBe(false);
  });

  it("retries a connection failure until it succeeds, within the budget", async () => {
    let calls = 0;
    const result = await retryConnectFailures(
      async () => {
        calls += 1;
        if (calls < 3) throw adapterError(NOT_REACHABLE);
        return "ok";
      },
      { budgetMs: 2_000, firstDelayMs: 5 },
    );
    expect(result).toBe("ok");
    expect(calls).toBe(3);
  });

  it("gives up after the budget, and never retries other errors", async () => {
    let calls = 0;
    const failing = async () => {
      calls += 1;
      throw adapterError(NOT_REACHABLE);
    };
    await expect(retryConnectFailures(failing, { budgetMs: 100, firstDelayMs: 10 })).rejects.toThrow(
      "DatabaseNotReachable",
    );
    expect(calls).toBeGreaterThan(1);
    calls = 0;
    await expect(
      retryConnectFailures(
        async () => {
          calls += 1;
          throw adapterError(TERMINATED);
        },
        { budgetMs: 1_000 },
      ),
    ).rejects.toThrow();
    expect(calls).toBe(1);
  });

  it("answers 503 with Retry-After, not 500, while the database is unreachable", async () => {
    const app = new Hono();
    const logger = pino({ level: "silent" });
    app.get("/down", (c) => errorResponse(c, prismaError("P1001", NOT_REACHABLE), logger));
    app.get("/bug", (c) => errorResponse(c, new Error("boom"), logger));
    const down = await app.request("/down");
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("1");
    expect(((await down.json()) as { detail: string }).detail).toMatch(/temporarily unavailable/);
    expect((await app.request("/bug")).status).toBe(500);
  });
});

describe("Redis outages", () => {
  it("a bus publish with Redis down is reported, not an unhandled rejection", async () => {
    // Nothing listens on port 9; no offline queue: publish rejects at once, as after a restart.
    const options = { lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null };
    const publisher = new Redis(9, "127.0.0.1", options);
    const subscriber = new Redis(9, "127.0.0.1", options);
    publisher.on("error", () => {}); // the refused connect itself (production logs it via watchRedis)
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const reported: unknown[] = [];
      const target = createPrefixedRedisEventTarget(publisher, subscriber, "wft", (error) => reported.push(error));
      expect(target.dispatchEvent(new CustomEvent("executionUpdated", { detail: { id: "e1" } }))).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(reported).toHaveLength(1);
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
      publisher.disconnect();
      subscriber.disconnect();
    }
  });
});

describe("GraphQL while the database is unreachable", () => {
  it("answers SERVICE_UNAVAILABLE with HTTP 503 and Retry-After, not an INTERNAL error", async () => {
    const schema = createSchema({
      typeDefs: "type Query { ok: Boolean } type Mutation { sendEvent: Boolean }",
      resolvers: {
        Mutation: {
          sendEvent: () => {
            throw prismaError("P1001", NOT_REACHABLE);
          },
        },
      },
    });
    const maskError = createErrorMasker(pino({ level: "silent" }));
    const yoga = createYoga({ schema, logging: false, maskedErrors: { maskError } });
    const response = await yoga.fetch("http://localhost/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "mutation { sendEvent }" }),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    const body = (await response.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(body.errors[0]?.extensions).toEqual({ code: "SERVICE_UNAVAILABLE" });
    expect(body.errors[0]?.message).toMatch(/temporarily unavailable/);
  });
});
