/**
 * Server process: GraphQL (HTTP, SSE, graphql-ws), health endpoints. SIGTERM or
 * SIGINT closes WebSockets, finishes open requests and closes connections.
 */
import { loadConfig } from "./config.js";
import { createDeps } from "./deps.js";
import { listen } from "./listen.js";
import { onShutdownSignal } from "./shutdown.js";

const config = loadConfig();
const deps = await createDeps(config);
const server = await listen(deps, config.PORT);
deps.logger.info({ host: config.HOST, port: server.port, graphql: `${server.url}/graphql` }, "server listening");
onShutdownSignal(deps.logger, "server", async () => {
  await server.close();
  await deps.close();
});
