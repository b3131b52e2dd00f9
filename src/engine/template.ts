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

export function renderTemplates(value: unknown, context: TemplateContext): unknown {
  if (typeof value === "string") return renderString(value, context);
  if (Array.isArray(value)) return value.map((item) => renderTemplates(item, context));
  if (isPlainObject(value)) {
    const rendered: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // defineProperty, so an own "__proto__" key (from JSON) stays data instead of becoming the prototype.
      Object.defineProperty(rendered, key, {
        value: renderTemplates(item, context),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return rendered;
  }
  return value;
}

function renderString(text: string, context: TemplateContext): unknown {
  const whole = WHOLE_TEMPLATE.exec(text);
  if (whole) return resolvePath(context, whole[1] as string) ?? null;
  if (!text.includes("{{")) return text;
  return text.replace(TEMPLATE, (_match, path: string) => asText(resolvePath(context, path)));
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
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
