/**
 * Builds the Prisma client on node-postgres through @prisma/adapter-pg (Prisma 7
 * runs queries through a driver adapter; there is no native query engine).
 */
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client.js";
import { withConnectRetry } from "./connect-retry.js";

export type Db = PrismaClient;

export interface DbOptions {
  /** Connections in the pool; each worker or server process has its own pool. */
  poolSize?: number;
  /** Called with every SQL statement (tests count queries; profiling). */
  onQuery?: (sql: string) => void;
  /** How long a statement keeps retrying a connection that cannot be made (PostgreSQL restarting). */
  connectRetryMs?: number;
}

export function createDb(databaseUrl: string, options: DbOptions = {}): Db {
  const adapter = withConnectRetry(new PrismaPg({ connectionString: databaseUrl, max: options.poolSize ?? 10 }), {
    budgetMs: options.connectRetryMs ?? 5_000,
  });
  if (!options.onQuery) return new PrismaClient({ adapter });
  const onQuery = options.onQuery;
  const client = new PrismaClient({ adapter, log: [{ emit: "event", level: "query" }] });
  client.$on("query", (event) => onQuery(event.query));
  return client as unknown as PrismaClient;
}
