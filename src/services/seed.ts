/**
 * The original engine's two sample workflows, loaded idempotently: a workflow
 * whose name already exists is left alone, so seeding twice leaves two.
 */
import leadRouting from "../samples/lead-routing.json" with { type: "json" };
import temperatureControl from "../samples/temperature-control.json" with { type: "json" };
import type { ServiceDeps } from "./deps.js";
import { createWorkflow } from "./workflows.js";

export const SAMPLE_WORKFLOWS = [leadRouting, temperatureControl];

export async function seed(services: ServiceDeps): Promise<{ created: string[]; existing: string[] }> {
  const created: string[] = [];
  const existing: string[] = [];
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
