import type { Bus } from "../bus/bus.js";
import type { Db } from "../db/client.js";
import type { Logger } from "../logger.js";
import type { ServiceDeps } from "../services/deps.js";
import type { OpenCounter } from "./live/count-open.js";

/** A fresh object per request (HTTP or WebSocket operation); nothing HTTP-specific. */
export interface GraphQLContext {
  services: ServiceDeps;
  db: Db;
  bus: Bus;
  logger: Logger;
  /** Counts open subscriptions (metrics). */
  subscriptionsOpen: OpenCounter;
}
