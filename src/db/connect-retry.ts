/**
 * Rides out a short PostgreSQL outage (a restart, a failover) at the driver
 * adapter: a statement whose connection could not be made, or a transaction
 * that could not begin, is tried again with backoff for a few seconds. Only
 * what certainly did not run is retried (see isConnectFailure); a statement
 * cut off mid-flight fails as before, since it may have committed.
 *
 * Without it, every query in the second or so a restart takes failed: API
 * requests answered 5xx and step handlers (a notification's insert) recorded
 * infrastructure errors as step failures (found by `npm run chaos`).
 */
import type { SqlDriverAdapter, SqlDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { isConnectFailure, isDatabaseUnavailable } from "./errors.js";

export interface ConnectRetryOptions {
  /** Give up (and throw the last error) once this much time has passed. */
  budgetMs: number;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

export async function retryConnectFailures<T>(
  attempt: () => Promise<T>,
  options: ConnectRetryOptions,
  retryable: (error: unknown) => boolean = isConnectFailure,
): Promise<T> {
  const deadline = Date.now() + options.budgetMs;
  for (let delay = options.firstDelayMs ?? 50; ; delay = Math.min(delay * 2, options.maxDelayMs ?? 1000)) {
    try {
      return await attempt();
    } catch (error) {
      if (!retryable(error) || Date.now() + delay > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** The same adapter, with connection failures retried (statements outside transactions, and BEGIN). */
export function withConnectRetry(
  factory: SqlDriverAdapterFactory,
  options: ConnectRetryOptions,
): SqlDriverAdapterFactory {
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    async connect() {
      const adapter = await factory.connect();
      // Everything else (dispose, connection info, the transactions themselves) is the adapter's own.
      const wrapped: SqlDriverAdapter = Object.create(adapter);
      wrapped.queryRaw = (query) => retryConnectFailures(() => adapter.queryRaw(query), options);
      wrapped.executeRaw = (query) => retryConnectFailures(() => adapter.executeRaw(query), options);
      // Nothing has run before BEGIN succeeds, so any connection error there is safe to retry.
      wrapped.startTransaction = (isolationLevel) =>
        retryConnectFailures(() => adapter.startTransaction(isolationLevel), options, isDatabaseUnavailable);
      return wrapped;
    },
  };
}
