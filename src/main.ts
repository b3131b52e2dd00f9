/**
 * `npm start`: server and worker in one process. With DATABASE_URL and
 * REDIS_URL it runs on PostgreSQL and Redis; without them, in embedded mode on
 * PGlite (data in DATA_DIR) with in-process queue and bus, seeded with the two
 * sample workflows, so a newcomer sees it working with nothing installed.
 */
import { loadConfig } from "./config.js";
import { createDeps } from "./deps.js";
import { listen } from "./listen.js";
import { seed } from "./services/seed.js";
import { onShutdownSignal } from "./shutdown.js";

const LOOPBACK = ["127.0.0.1", "::1", "localhost"];

const config = loadConfig();
const deps = await createDeps(config);
if (config.MODE === "embedded") {
  const { created } = await seed(deps.services);
  if (created.length > 0) deps.logger.info({ created }, "loaded the sample workflows");
}
await deps.startWorker();
const server = await listen(deps, config.PORT);
onShutdownSignal(deps.logger, "workflow engine", async () => {
  await server.close();
  await deps.close();
});

// Bound to loopback or every address, this machine reaches it as localhost; otherwise at HOST.
const local = [...LOOPBACK, "0.0.0.0", "::"].includes(config.HOST);
const base = local ? `http://localhost:${server.port}` : server.url;
const banner = [
  "",
  `  Workflow engine is running (${config.MODE} mode${config.MODE === "embedded" ? `, data in ${config.DATA_DIR}` : ""})`,
  `  Listening on ${config.HOST}:${server.port}${LOOPBACK.includes(config.HOST) ? " (this machine only; HOST to change)" : ""}`,
  "",
  `  Console    ${base}/`,
  `  GraphiQL   ${base}/graphql`,
  `  REST docs  ${base}/docs`,
  `  Health     ${base}/readyz`,
  "",
  "  Try it:",
  `    curl -s -X POST ${base}/events -H 'content-type: application/json' \\`,
  `      -d '{"lead":{"source":"LinkedIn","score":90,"title":"CEO"}}'`,
  "",
];
process.stdout.write(`${banner.join("\n")}\n`);
