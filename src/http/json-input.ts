/**
 * JSON from clients that the engine could not walk or PostgreSQL could not
 * store, found at the edges (REST bodies, GraphQL JSON arguments) so the client
 * gets a 422 / BAD_USER_INPUT naming the place instead of a masked 500:
 * nesting deeper than the engine's recursive walkers (templates, rules,
 * JSON.stringify) can go, NUL characters (text and jsonb cannot hold U+0000),
 * and unpaired UTF-16 surrogates (jsonb refuses them).
 */

/** Deepest nesting of arrays and objects accepted in one JSON value. */
export const MAX_JSON_DEPTH = 100;

export interface JsonInputProblem {
  /** Where, from the value's root: ["lead", "tags", 3]. */
  path: (string | number)[];
  message: string;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why PostgreSQL would refuse this text, if it would. */
export function textProblem(text: string): string | undefined {
  if (text.includes("\u0000")) return "must not contain NUL (\\u0000) characters";
  if (LONE_SURROGATE.test(text)) return "must not contain unpaired UTF-16 surrogates (not valid Unicode)";
  return undefined;
}

/** The first problem in a parsed JSON value, walking it without recursion (so any depth is safe to check). */
export function findJsonProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): JsonInputProblem | undefined {
  const pending: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { value: current, path } = item;
    if (typeof current === "string") {
      const problem = textProblem(current);
      if (problem) return { path, message: `text ${problem}` };
      continue;
    }
    if (typeof current !== "object" || current === null) continue;
    if (path.length >= maxDepth) return { path, message: `nested deeper than ${maxDepth} levels` };
    const children: [string | number, unknown][] = Array.isArray(current)
      ? current.map((child, index) => [index, child])
      : Object.entries(current);
    for (const [key] of children) {
      const problem = typeof key === "string" ? textProblem(key) : undefined;
      if (problem) return { path: [...path, key], message: `key ${problem}` };
    }
    // Pushed in reverse so the first problem in document order is found first.
    for (let i = children.length - 1; i >= 0; i--) {
      const [key, child] = children[i] as [string | number, unknown];
      pending.push({ value: child, path: [...path, key] });
    }
  }
  return undefined;
}

/** "$.lead.tags[3]" for messages; a very deep path is cut short after `maxParts` parts. */
export function formatJsonPath(root: string, path: readonly (string | number)[], maxParts = 10): string {
  const shown = path
    .slice(0, maxParts)
    .reduce<string>((at, part) => (typeof part === "number" ? `${at}[${part}]` : `${at}.${part}`), root);
  return path.length > maxParts ? `${shown}… (${path.length} levels)` : shown;
}

/**
 * PostgreSQL refused a text or JSON value for its characters (SQLSTATE 22021:
 * NUL in text; 22P05: \u0000 in jsonb). Values from clients reach the database
 * in many places (ids in paths and arguments, names, payloads); this is the net
 * under all of them, so the client hears it was their input.
 */
export function isUnstorableTextError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const sqlState = (candidate: unknown) => {
    const { code, originalCode } = (candidate ?? {}) as { code?: unknown; originalCode?: unknown };
    return originalCode ?? code;
  };
  const codes = [
    // Raw SQL through node-postgres: its DatabaseError carries the SQLSTATE as `code`.
    sqlState(error),
    // Prisma's driver adapter: a DriverAdapterError, alone or inside Prisma's error.
    sqlState(error.cause),
    sqlState((error as { meta?: { driverAdapterError?: { cause?: unknown } } }).meta?.driverAdapterError?.cause),
  ];
  return codes.some((code) => code === "22021" || code === "22P05");
}

export const UNSTORABLE_TEXT_MESSAGE =
  "text must not contain NUL (\\u0000) characters or unpaired UTF-16 surrogates (not valid Unicode)";
