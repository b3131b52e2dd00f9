/**
 * Prepares a step's input: renders the node's templated data against the event
 * and earlier outputs, then parses it with the handler's schema.
 */

import type { GraphNode } from "../graph.js";
import type { NodeHandler } from "../handlers/types.js";
import { isPlainObject } from "../json-logic.js";
import { renderTemplates, type TemplateContext } from "../template.js";

export type PreparedInput = { ok: true; input: unknown; data: unknown } | { ok: false; input: unknown; error: string };

export function prepareInput(
  node: GraphNode,
  handler: NodeHandler,
  context: TemplateContext,
  maxTemplateBytes: number,
): PreparedInput {
  const raw = isPlainObject(node.data) ? node.data : {};
  const templated = new Set(handler.templatedKeys ?? Object.keys(raw));
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!templated.has(key)) {
      input[key] = value;
      continue;
    }
    const rendered = renderTemplates(value, context);
    const bytes = Buffer.byteLength(JSON.stringify(rendered) ?? "");
    if (bytes > maxTemplateBytes) {
      // The oversized value is not kept: the step's recorded input shows what was refused instead.
      input[key] = { refused: true, bytes };
      const error = `data.${key}: the rendered template is ${bytes} bytes; the limit is ${maxTemplateBytes} (MAX_TEMPLATE_OUTPUT_BYTES)`;
      return { ok: false, input, error };
    }
    input[key] = rendered;
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
