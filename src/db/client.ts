/**
 * Builds the Prisma client on node-postgres through @prisma/adapter-pg (Prisma 7
 * runs queries through a driver adapter; there is no native query engine).
 */
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client.js";

export type Db = PrismaClient;

export interface DbOptions {
  /** Connections in the pool; each worker or server process has its own pool. */
  poolSize?: number;
}

export function createDb(databaseUrl: string, options: DbOptions = {}): Db {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: options.poolSize ?? 10 });
  return new PrismaClient({ adapter });
}
