/**
 * `{{ path }}` templates in node data. A string that is exactly one template
 * keeps the value's type ("{{payload.lead.score}}" → 90); templates inside a
 * longer string render as text, objects as JSON. Rendering is deep: objects and
 * arrays are walked and only their strings are rendered.
 */
import { isPlainObject } from "./json-logic.js";

/** What templates can see. */
export interface TemplateContext {
  payload: unknown;
  steps: Record<string, { output: unknown }>;
  execution: { id: string };
  workflow: { id: string; name: string };
}

export const TEMPLATE_ROOTS = ["payload", "steps", "execution", "workflow"] as const;

export interface TemplateProblem {
  path: string;
  message: string;
}

const TEMPLATE = /\{\{\s*([^{}]*?)\s*\}\}/g;
const WHOLE_TEMPLATE = /^\{\{\s*([^{}]*?)\s*\}\}$/;
/** A dotted path with optional [index] parts: payload.lead.title, steps.n3.output.body.items[0]. */
const PATH = /^[A-Za-z_$][\w$-]*(?:\.[\w$-]+|\[\d+\])*$/;

/**
 * Rendering stopped because the value would pass its byte limit: nothing
 * larger than the limit (and one value templates reached) was ever built.
 */
export class TemplateTooLargeError extends Error {
  constructor(
    /** Bytes counted when the limit was passed: a lower bound of the whole value's JSON size. */
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`the rendered template is at least ${bytes} bytes; the limit is ${limit}`);
    this.name = "TemplateTooLargeError";
  }
}

/**
 * Renders every template in `value`. With `maxBytes`, the JSON size of what is
 * rendered is counted as it is built (strings by their UTF-8 bytes, so the
 * count never exceeds the JSON text's size), and TemplateTooLargeError is
 * thrown before any string past the limit is made: a template repeated over a
 * large payload can neither reach V8's string limit nor take the worker's memory.
 */
export function renderTemplates(
  value: unknown,
  context: TemplateContext,
  maxBytes = Number.POSITIVE_INFINITY,
): unknown {
  return renderValue(value, context, new RenderBudget(maxBytes));
}

/** Bytes a rendering may still use; charging past the limit throws. */
class RenderBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  get remaining(): number {
    return this.limit - this.used;
  }

  charge(bytes: number): void {
    this.used += bytes;
    if (this.used > this.limit) throw new TemplateTooLargeError(this.used, this.limit);
  }

  /** Charges the JSON size of a value templates reached, measured only as far as the budget goes. */
  chargeValue(value: unknown): void {
    if (this.limit !== Number.POSITIVE_INFINITY) this.charge(jsonBytesWithin(value, this.remaining));
  }

  /** Throws, charging nothing, unless the value's JSON would fit in what is left. */
  ensureFits(value: unknown): void {
    if (this.limit === Number.POSITIVE_INFINITY) return;
    const bytes = jsonBytesWithin(value, this.remaining);
    if (bytes > this.remaining) throw new TemplateTooLargeError(this.used + bytes, this.limit);
  }
}

function renderValue(value: unknown, context: TemplateContext, budget: RenderBudget): unknown {
  if (typeof value === "string") return renderString(value, context, budget);
  if (Array.isArray(value)) {
    budget.charge(1 + Math.max(value.length, 1)); // brackets and commas
    return value.map((item) => renderValue(item, context, budget));
  }
  if (isPlainObject(value)) {
    const rendered: Record<string, unknown> = {};
    budget.charge(1); // the opening brace; each entry below pays for its comma or the closing brace
    for (const [key, item] of Object.entries(value)) {
      budget.charge(Buffer.byteLength(key) + 4); // quotes, colon, and a comma or the closing brace
      // defineProperty, so an own "__proto__" key (from JSON) stays data instead of becoming the prototype.
      Object.defineProperty(rendered, key, {
        value: renderValue(item, context, budget),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return rendered;
  }
  budget.chargeValue(value);
  return value;
}

function renderString(text: string, context: TemplateContext, budget: RenderBudget): unknown {
  const whole = WHOLE_TEMPLATE.exec(text);
  if (whole) {
    // The value itself, not a copy: only its size counts.
    const resolved = resolvePath(context, whole[1] as string) ?? null;
    budget.chargeValue(resolved);
    return resolved;
  }
  budget.charge(2); // quotes
  if (!text.includes("{{")) {
    budget.charge(Buffer.byteLength(text));
    return text;
  }
  // As text.replace(TEMPLATE, …) would build it, each part charged before the whole is joined.
  const parts: string[] = [];
  const keep = (part: string) => {
    budget.charge(Buffer.byteLength(part));
    parts.push(part);
  };
  let from = 0;
  for (const match of text.matchAll(TEMPLATE)) {
    keep(text.slice(from, match.index));
    keep(asText(resolvePath(context, match[1] as string), budget));
    from = match.index + match[0].length;
  }
  keep(text.slice(from));
  return parts.join("");
}

/** A value inside a longer string: objects as JSON, made only once their size is known to fit. */
function asText(value: unknown, budget: RenderBudget): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "object") {
    budget.ensureFits(value); // the text is charged once made, when it is kept
    return JSON.stringify(value);
  }
  return String(value);
}

/**
 * The UTF-8 size of `value` as JSON, strings counted without their escapes
 * (so never more than JSON.stringify's text), or a number above `max` as soon
 * as the walk passes it: a large value is never walked further than needed.
 */
export function jsonBytesWithin(value: unknown, max: number): number {
  let total = 0;
  const visit = (item: unknown): boolean => {
    if (typeof item === "string") total += Buffer.byteLength(item) + 2;
    else if (Array.isArray(item)) {
      total += 1 + Math.max(item.length, 1);
      for (const child of item) if (!visit(child)) return false;
    } else if (item !== null && typeof item === "object") {
      total += 1; // as in renderValue: each entry pays for its comma or the closing brace
      for (const [key, child] of Object.entries(item)) {
        if (child === undefined) continue;
        total += Buffer.byteLength(key) + 4;
        if (!visit(child)) return false;
      }
    } else if (item === undefined || item === null) total += 4;
    else total += String(item).length;
    return total <= max;
  };
  visit(value);
  return total;
}

/** Splits "a.b[0].c" into ["a", "b", "0", "c"]. */
export function pathSegments(path: string): string[] {
  return path.replace(/\[(\d+)\]/g, ".$1").split(".");
}

/** Reads own properties only, so `constructor` or `__proto__` resolve to nothing. */
export function resolvePath(root: unknown, path: string): unknown {
  let current: unknown = root;
  for (const key of pathSegments(path)) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * Every malformed template in a value: unclosed or empty braces, a path that
 * is not a dotted path, an unknown root, or `steps.<id>` naming no node.
 */
export function checkTemplates(value: unknown, path: string, nodeIds: ReadonlySet<string>): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  const visit = (item: unknown, at: string) => {
    if (typeof item === "string") problems.push(...checkString(item, at, nodeIds));
    else if (Array.isArray(item))
      item.forEach((child, index) => {
        visit(child, `${at}[${index}]`);
      });
    else if (isPlainObject(item)) for (const [key, child] of Object.entries(item)) visit(child, `${at}.${key}`);
  };
  visit(value, path);
  return problems;
}

function checkString(text: string, path: string, nodeIds: ReadonlySet<string>): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  for (const match of text.matchAll(TEMPLATE)) {
    const reference = (match[1] as string).trim();
    const message = checkReference(reference, nodeIds);
    if (message) problems.push({ path, message });
  }
  if (text.replace(TEMPLATE, "").includes("{{")) {
    problems.push({ path, message: "unclosed template: '{{' without a matching '}}'" });
  }
  return problems;
}

function checkReference(reference: string, nodeIds: ReadonlySet<string>): string | undefined {
  if (reference === "") return "empty template '{{ }}'";
  if (!PATH.test(reference)) return `malformed template reference "${reference}"`;
  const [root, nodeId] = pathSegments(reference);
  if (!(TEMPLATE_ROOTS as readonly string[]).includes(root as string)) {
    return `template reference "${reference}" must start with one of ${TEMPLATE_ROOTS.join(", ")}`;
  }
  if (root === "steps" && nodeId !== undefined && !nodeIds.has(nodeId)) {
    return `template reference "${reference}" names node "${nodeId}", which does not exist`;
  }
  return undefined;
}
