/**
 * JSON Schema (as `nodeTypes.dataSchema` gives it) to form fields. Plain
 * properties get their own inputs (text, number, checkbox, select); anything
 * the form cannot edit field by field (arrays, unions, free objects) gets a
 * JSON editor, so every schema can still be filled in. Validation problems
 * name paths such as `graph.nodes[3].data.url`: `problemsForField` finds the
 * ones that belong to a field.
 */

export type FieldKind = "string" | "number" | "integer" | "boolean" | "enum" | "object" | "json";

export interface FormField {
  key: string;
  /** Dotted path inside the node's data, e.g. `retry.attempts`. */
  path: string;
  label: string;
  kind: FieldKind;
  required: boolean;
  description?: string;
  defaultValue?: unknown;
  options?: unknown[];
  multiline?: boolean;
  children?: FormField[];
}

type Schema = Record<string, unknown>;

function isSchema(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function typeOf(schema: Schema): string | undefined {
  if (typeof schema.type === "string") return schema.type;
  if (Array.isArray(schema.type)) {
    const types = schema.type.filter((t) => t !== "null");
    return types.length === 1 && typeof types[0] === "string" ? types[0] : undefined;
  }
  return undefined;
}

function humanize(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1).toLowerCase();
}

function fieldFor(key: string, schema: Schema, parentPath: string, required: boolean, depth: number): FormField {
  const path = parentPath ? `${parentPath}.${key}` : key;
  const base = {
    key,
    path,
    label: typeof schema.title === "string" ? schema.title : humanize(key),
    required,
    description: typeof schema.description === "string" ? schema.description : undefined,
    defaultValue: schema.default,
  };
  if (Array.isArray(schema.enum) && schema.enum.every((v) => typeof v === "string" || typeof v === "number")) {
    return { ...base, kind: "enum", options: schema.enum };
  }
  const type = typeOf(schema);
  switch (type) {
    case "string":
      return {
        ...base,
        kind: "string",
        multiline:
          (typeof schema.maxLength !== "number" || schema.maxLength > 200) && /message|body|text|template/i.test(key),
      };
    case "number":
      return { ...base, kind: "number" };
    case "integer":
      return { ...base, kind: "integer" };
    case "boolean":
      return { ...base, kind: "boolean" };
    case "object":
      if (
        depth < 2 &&
        isSchema(schema.properties) &&
        Object.keys(schema.properties).length > 0 &&
        !schema.additionalProperties
      ) {
        return { ...base, kind: "object", children: fieldsFromSchema(schema, path, depth + 1) };
      }
      return { ...base, kind: "json" };
    default:
      return { ...base, kind: "json" };
  }
}

/** The fields of an object schema, in the schema's property order. */
export function fieldsFromSchema(schema: unknown, parentPath = "", depth = 0): FormField[] {
  if (!isSchema(schema) || !isSchema(schema.properties)) return [];
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  return Object.entries(schema.properties)
    .filter((entry): entry is [string, Schema] => isSchema(entry[1]))
    .map(([key, property]) => fieldFor(key, property, parentPath, required.has(key), depth));
}

export function getPath(data: Record<string, unknown>, path: string): unknown {
  let current: unknown = data;
  for (const part of path.split(".")) {
    if (!isSchema(current)) return undefined;
    current = current[part];
  }
  return current;
}

/** A copy of `data` with `path` set to `value` (undefined removes the key). */
export function setPath(data: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const [head, ...rest] = path.split(".");
  if (head === undefined) return data;
  const copy = { ...data };
  if (rest.length === 0) {
    if (value === undefined) delete copy[head];
    else copy[head] = value;
    return copy;
  }
  const child = isSchema(copy[head]) ? (copy[head] as Record<string, unknown>) : {};
  const updated = setPath(child, rest.join("."), value);
  if (Object.keys(updated).length === 0) delete copy[head];
  else copy[head] = updated;
  return copy;
}

/** A form input's text turned into the value the field holds; an error message when it cannot be. */
export function parseFieldInput(field: FormField, text: string): { value: unknown } | { error: string } {
  if (text.trim() === "" && field.kind !== "string") return { value: undefined };
  switch (field.kind) {
    case "number":
    case "integer": {
      const value = Number(text);
      if (!Number.isFinite(value)) return { error: "must be a number" };
      if (field.kind === "integer" && !Number.isInteger(value)) return { error: "must be a whole number" };
      return { value };
    }
    case "json":
      try {
        return { value: JSON.parse(text) };
      } catch {
        return { error: "must be valid JSON" };
      }
    case "string":
      return { value: text === "" ? undefined : text };
    default:
      return { value: text };
  }
}

export interface Problem {
  path: string;
  message: string;
}

/** `graph.nodes[3].data.url` → node index 3, data path `url`; `graph.nodes[3]` → index 3, path "". */
export function parseNodeProblemPath(path: string): { index: number; dataPath: string } | undefined {
  const match = /^graph\.nodes\[(\d+)\](?:\.data(?:\.|\[|$))?(.*)$/.exec(path);
  if (!match?.[1]) return undefined;
  const rest = path.slice(`graph.nodes[${match[1]}]`.length);
  const dataPath = rest.startsWith(".data") ? rest.slice(".data".length).replace(/^\./, "") : "";
  return { index: Number(match[1]), dataPath };
}

/** The problems of one node, by the node's index in the graph as validated. */
export function problemsForNode(problems: readonly Problem[], index: number): Problem[] {
  return problems.filter((problem) => parseNodeProblemPath(problem.path)?.index === index);
}

/** The problems whose data path is the field's path or inside it (`cases[0].condition` belongs to `cases`). */
export function problemsForField(nodeProblems: readonly Problem[], fieldPath: string): Problem[] {
  return nodeProblems.filter((problem) => {
    const dataPath = parseNodeProblemPath(problem.path)?.dataPath ?? "";
    return dataPath === fieldPath || dataPath.startsWith(`${fieldPath}.`) || dataPath.startsWith(`${fieldPath}[`);
  });
}
