/**
 * Prepares a step's input: renders the node's templated data against the event
 * and earlier outputs, then parses it with the handler's schema.
 */

import type { GraphNode } from "../graph.js";
import type { NodeHandler } from "../handlers/types.js";
import { isPlainObject } from "../json-logic.js";
import { renderTemplates, type TemplateContext } from "../template.js";

export type PreparedInput = { ok: true; input: unknown; data: unknown } | { ok: false; input: unknown; error: string };

export function prepareInput(node: GraphNode, handler: NodeHandler, context: TemplateContext): PreparedInput {
  const raw = isPlainObject(node.data) ? node.data : {};
  const templated = new Set(handler.templatedKeys ?? Object.keys(raw));
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    input[key] = templated.has(key) ? renderTemplates(value, context) : value;
  }
  const parsed = handler.dataSchema.safeParse(input);
  if (parsed.success) return { ok: true, input, data: parsed.data };
  const problems = parsed.error.issues.map((i) => `${["data", ...i.path].join(".")}: ${i.message}`);
  return { ok: false, input, error: `invalid input after templating: ${problems.join("; ")}` };
}

/** Outputs larger than the limit are replaced by a flagged preview, so one step cannot bloat the database. */
export function limitOutput(output: unknown, maxBytes: number): unknown {
  if (output === undefined) return undefined;
  const text = JSON.stringify(output);
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return output;
  return { truncated: true, bytes, preview: text.slice(0, Math.min(2000, maxBytes)) };
}
