/**
 * Prepares a step's input: renders the node's templated data against the event
 * and earlier outputs, then parses it with the handler's schema. Also the size
 * rule for what a step stores (input, output, notification messages).
 */

import type { GraphNode } from "../graph.js";
import type { NodeHandler } from "../handlers/types.js";
import { isPlainObject } from "../json-logic.js";
import { renderTemplates, type TemplateContext, TemplateTooLargeError } from "../template.js";

export type PreparedInput = { ok: true; input: unknown; data: unknown } | { ok: false; input: unknown; error: string };

export interface InputLimits {
  /** Largest rendered value of one templated field (MAX_TEMPLATE_OUTPUT_BYTES). */
  maxTemplateBytes: number;
  /** Largest input stored with the step (MAX_STEP_OUTPUT_BYTES): larger is stored as a preview. */
  maxStoredBytes: number;
}

/**
 * The step's data for its handler (`data`) and what is recorded as its input
 * (`input`: the templated data, as a preview when larger than the stored
 * limit). A field that renders past its limit, or cannot be rendered at all,
 * fails the step: rendering is pure, so another try would fail the same way.
 */
export function prepareInput(
  node: GraphNode,
  handler: NodeHandler,
  context: TemplateContext,
  limits: InputLimits,
): PreparedInput {
  const { maxTemplateBytes, maxStoredBytes } = limits;
  const raw = isPlainObject(node.data) ? node.data : {};
  const templated = new Set(handler.templatedKeys ?? Object.keys(raw));
  const input: Record<string, unknown> = {};
  const refuse = (key: string, refused: { bytes?: number }, error: string): PreparedInput => {
    // The oversized value is not kept: the step's recorded input shows what was refused instead.
    input[key] = { refused: true, ...refused };
    return { ok: false, input: limitStored(input, maxStoredBytes), error };
  };
  for (const [key, value] of Object.entries(raw)) {
    if (!templated.has(key)) {
      input[key] = value;
      continue;
    }
    let rendered: unknown;
    let bytes: number;
    try {
      // Stops before building anything past the limit (its count is a lower bound of the JSON size) ...
      rendered = renderTemplates(value, context, maxTemplateBytes);
      // ... so measuring the exact size here is safe.
      bytes = Buffer.byteLength(JSON.stringify(rendered) ?? "");
    } catch (error) {
      if (error instanceof TemplateTooLargeError) {
        return refuse(key, { bytes: error.bytes }, templateTooLarge(key, `at least ${error.bytes}`, maxTemplateBytes));
      }
      const reason = error instanceof Error ? error.message : String(error);
      return refuse(key, {}, `data.${key}: the template could not be rendered: ${reason}`);
    }
    if (bytes > maxTemplateBytes) return refuse(key, { bytes }, templateTooLarge(key, String(bytes), maxTemplateBytes));
    input[key] = rendered;
  }
  const stored = limitStored(input, maxStoredBytes);
  const parsed = handler.dataSchema.safeParse(input);
  if (parsed.success) return { ok: true, input: stored, data: parsed.data };
  const problems = parsed.error.issues.map((i) => `${["data", ...i.path].join(".")}: ${i.message}`);
  return { ok: false, input: stored, error: `invalid input after templating: ${problems.join("; ")}` };
}

function templateTooLarge(key: string, bytes: string, limit: number): string {
  return `data.${key}: the rendered template is ${bytes} bytes; the limit is ${limit} (MAX_TEMPLATE_OUTPUT_BYTES)`;
}

/** Characters of a value kept when it is too large to store whole. */
const PREVIEW_CHARS = 2000;

/**
 * A step's input or output larger than the limit (MAX_STEP_OUTPUT_BYTES) is
 * replaced by a flagged preview, so one step cannot bloat the database.
 */
export function limitStored(value: unknown, maxBytes: number): unknown {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value);
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return value;
  return { truncated: true, bytes, preview: cutAt(text, Math.min(PREVIEW_CHARS, maxBytes)) };
}

/**
 * A notification message larger than the limit is stored as its first
 * 2,000 characters and a marker with its size, like an output's preview.
 */
export function limitMessage(message: string, maxBytes: number): string {
  const bytes = Buffer.byteLength(message);
  if (bytes <= maxBytes) return message;
  return `${cutAt(message, Math.min(PREVIEW_CHARS, maxBytes))}… [truncated: the message was ${bytes} bytes]`;
}

/** The first `chars` characters, never ending on half a surrogate pair (PostgreSQL refuses a lone one). */
function cutAt(text: string, chars: number): string {
  const cut = text.slice(0, chars);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}
