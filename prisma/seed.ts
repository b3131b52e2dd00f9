/** `npm run seed`: loads the two sample workflows into the configured database (see src/services/seed.ts). */
import { loadConfig } from "../src/config.js";
import { createDeps } from "../src/deps.js";
import { seed } from "../src/services/seed.js";

const deps = await createDeps(loadConfig());
try {
  deps.logger.info(await seed(deps.services), "seed done");
} finally {
  await deps.close();
}
