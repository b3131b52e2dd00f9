/**
 * What the GraphQL server needs (the composition root, src/deps.ts, provides
 * it): the use cases, the database for reads, the bus for subscriptions, the
 * limits it enforces, a logger and the subscriptions gauge.
 */
import type { Bus } from "../bus/bus.js";
import type { Config } from "../config.js";
import type { Db } from "../db/client.js";
import type { Logger } from "../logger.js";
import type { ServiceDeps } from "../services/deps.js";
import type { OpenCounter } from "./live/count-open.js";

export interface GraphQLDeps {
  config: Pick<
    Config,
    | "GRAPHQL_MAX_DEPTH"
    | "GRAPHQL_MAX_ALIASES"
    | "GRAPHQL_MAX_TOKENS"
    | "GRAPHQL_MAX_COST"
    | "GRAPHQL_MAX_RESPONSE_BYTES"
  >;
  services: ServiceDeps;
  db: Db;
  bus: Bus;
  logger: Logger;
  metrics: { subscriptionsOpen: OpenCounter };
}
