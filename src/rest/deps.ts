/** What the REST routes need: the use cases and a logger (the composition root, src/deps.ts, provides them). */
import type { Logger } from "../logger.js";
import type { ServiceDeps } from "../services/deps.js";

export interface RestDeps {
  services: ServiceDeps;
  logger: Logger;
}
