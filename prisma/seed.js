/**
 * `npm run seed`: loads the original engine's two sample workflows. Idempotent:
 * a workflow whose name already exists is left alone, so running it twice still
 * leaves two workflows.
 */
import { loadConfig } from "../src/config.js";
import { createDeps } from "../src/deps.js";
import { createWorkflow } from "../src/services/workflows.js";
import leadRouting from "./samples/lead-routing.json" with { type: "json" };
import temperatureControl from "./samples/temperature-control.json" with { type: "json" };
export const SAMPLE_WORKFLOWS = [leadRouting, temperatureControl];
export async function seed(services) {
  const created = [];
  const existing = [];
  for (const sample of SAMPLE_WORKFLOWS) {
    const found = await services.db.workflow.findFirst({ where: { name: sample.name, deletedAt: null } });
    if (found) {
      existing.push(sample.name);
      continue;
    }
    await createWorkflow(services, sample);
    created.push(sample.name);
  }
  return { created, existing };
}
if (import.meta.url === `file://${process.argv[1]}`) {
  const deps = await createDeps(loadConfig());
  try {
    const result = await seed(deps.services);
    deps.logger.info(result, "seed done");
  } finally {
    await deps.close();
  }
}
//# sourceMappingURL=seed.js.map
