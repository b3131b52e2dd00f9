/**
 * Loads a flow JSON that lives next to its test, pointing "LOCAL/…" URLs at the
 * test's own HTTP server.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { WorkflowInput } from "../../src/services/workflows.js";

const FLOWS_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../flows");

export function loadFlow(file: string, localBaseUrl = "http://127.0.0.1:9"): WorkflowInput {
  const text = readFileSync(path.join(FLOWS_DIR, file), "utf8").replaceAll('"LOCAL/', `"${localBaseUrl}/`);
  return JSON.parse(text) as WorkflowInput;
}
