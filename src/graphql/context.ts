import type { Bus } from "../bus/bus.js";
import type { Db } from "../db/client.js";
import type { Logger } from "../logger.js";
import type { ServiceDeps } from "../services/deps.js";
import type { OpenCounter } from "./live/count-open.js";
import type { EventIds } from "./live/sse-event-ids.js";

/** A fresh object per request (HTTP or WebSocket operation); nothing HTTP-specific. */
export interface GraphQLContext {
  services: ServiceDeps;
  db: Db;
  bus: Bus;
  logger: Logger;
  /** Counts open subscriptions (metrics). */
  subscriptionsOpen: OpenCounter;
  /** Present when the transport can resume a stream by event id (SSE): see live/sse-event-ids.ts. */
  eventIds?: EventIds;
  /** The request's W3C `traceparent` header (HTTP only): sendEvent's ingestion joins the caller's trace. */
  traceparent?: string | undefined;
}
