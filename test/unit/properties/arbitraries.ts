/**
 * fast-check arbitraries shared by the property tests: JSON with hostile keys,
 * JSONLogic rules (well-formed and not), and valid workflow graphs (random DAGs
 * of the real node types with valid data).
 */
import fc from "fast-check";
import { KNOWN_OPERATORS } from "../../../src/engine/json-logic.js";

/** Keys that reach for prototypes when an implementation is careless. */
export const HOSTILE_KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "length",
  "__defineGetter__",
] as const;

/** Short keys, sometimes hostile, so lookups hit and miss often. */
export const key = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("a", "b", "lead", "source", "score", "0", "1", "x-y", "$steps") },
  { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_KEYS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);

const scalar = fc.oneof(
  fc.constantFrom(null, true, false, 0, 1, 90, -1, "", "0", "LinkedIn", "CEO", "90"),
  fc.integer({ min: -1000, max: 1000 }),
  // Never -0: JSON text cannot carry it (JSON.stringify writes 0), so a stored value could not equal it.
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d)),
  fc.string({ maxLength: 8 }),
);

/**
 * JSON as `JSON.parse` would build it, including own `__proto__` and
 * `constructor` keys (fast-check defines them as own properties).
 */
export const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(key, tie("value"), { maxKeys: 4, noNullPrototype: true }),
  ),
})).value;

/** Any value at all, including functions, symbols, cycles-free objects with null prototypes. */
export const anything = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  maxDepth: 4,
});

/** A dotted path over `key`s: "lead.source", "a.__proto__.polluted". */
export const dottedPath = fc
  .array(fc.oneof(key, fc.constant("polluted")), { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join("."));

/**
 * Rules over the known operators with arguments of any shape: most are
 * well-formed by checkRule's standard, few are meaningful.
 */
export const anyRule: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  rule: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.record({ var: fc.oneof(dottedPath, fc.constant(""), fc.tuple(dottedPath, scalar)) }),
    fc.array(tie("rule"), { maxLength: 3 }),
    fc
      .tuple(fc.constantFrom(...KNOWN_OPERATORS), fc.oneof(fc.array(tie("rule"), { maxLength: 4 }), tie("rule")))
      .map(([operator, args]) => ({ [operator]: args })),
    // Unknown and hostile operators, and objects with several keys: malformed rules.
    fc.dictionary(fc.oneof(key, fc.constantFrom("log", "method", "frob")), tie("rule"), { maxKeys: 2 }),
  ),
})).rule;

/** Paths and texts the trigger index files by; small sets so events often hit them. */
export const TRIGGER_PATHS = ["a", "lead.source", "lead.title", "x.y.z"] as const;
export const TRIGGER_TEXTS = ["LinkedIn", "Email", "90", "", "true", "null", "1"] as const;

const triggerVar = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TRIGGER_PATHS).map((path) => ({ var: path })) },
  // A default makes the rule match events without the field: it must not be filed.
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...TRIGGER_PATHS), scalar).map(([p, d]) => ({ var: [p, d] })) },
  { weight: 1, arbitrary: fc.constant({ var: "" }) },
);
const triggerConstant = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TRIGGER_TEXTS) },
  { weight: 1, arbitrary: fc.constantFrom(90, 1, 0, true, false, null, ["LinkedIn"]) },
);
/** `var == constant` in every spelling: the shape the index files. */
const equality = fc
  .tuple(fc.constantFrom("==", "==", "==", "===", "===", "!=", "!=="), triggerVar, triggerConstant, fc.boolean())
  .map(([op, variable, constant, flip]) => ({ [op]: flip ? [constant, variable] : [variable, constant] }));

/** Triggers shaped like real ones (equalities inside and/or/!), mixed with anything at all. */
export const trigger: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  rule: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 8, arbitrary: equality },
    { weight: 2, arbitrary: fc.array(tie("rule"), { minLength: 0, maxLength: 3 }).map((rules) => ({ and: rules })) },
    { weight: 1, arbitrary: fc.array(tie("rule"), { maxLength: 3 }).map((rules) => ({ or: rules })) },
    { weight: 1, arbitrary: tie("rule").map((rule) => ({ "!": [rule] })) },
    { weight: 1, arbitrary: tie("rule").map((rule) => ({ and: rule })) },
    {
      weight: 1,
      arbitrary: fc.tuple(triggerVar, fc.integer({ min: 0, max: 100 })).map(([v, n]) => ({ ">": [v, n] })),
    },
    { weight: 1, arbitrary: fc.constantFrom({}, null, true, false, { frob: [1] }) },
    { weight: 1, arbitrary: anyRule },
  ),
})).rule;

/** Values placed at the trigger paths: texts the triggers name, their loose equals, and others. */
const eventValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TRIGGER_TEXTS) },
  { weight: 2, arbitrary: fc.constantFrom(90, 1, 0, true, false, null, ["LinkedIn"], ["90"], [], {}, [[1]]) },
  { weight: 1, arbitrary: json },
);

/** Events that set some of the trigger paths, plus noise. */
export const event: fc.Arbitrary<unknown> = fc
  .tuple(fc.array(fc.tuple(fc.constantFrom(...TRIGGER_PATHS), eventValue), { maxLength: 4 }), json)
  .map(([assignments, noise]) => {
    const root: Record<string, unknown> = { noise };
    for (const [path, value] of assignments) {
      const parts = path.split(".");
      let at = root;
      for (const part of parts.slice(0, -1)) {
        const next = at[part];
        at[part] = typeof next === "object" && next !== null && !Array.isArray(next) ? next : {};
        at = at[part] as Record<string, unknown>;
      }
      at[parts.at(-1) as string] = value;
    }
    return root;
  });

// ---------------------------------------------------------------------------
// Valid workflow graphs

/** Node ids usable in `{{steps.<id>.output}}`: letters, digits, _, $ and -. */
const nodeId = fc.stringMatching(/^[A-Za-z_][\w$-]{0,7}$/).filter((id) => id !== "start");
const role = fc.constantFrom("AE", "manager", "SDR", "ops team");

/** Well-formed rules with the right arity, as a user would write them. */
export const validRule: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  rule: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc
      .tuple(fc.constantFrom("==", "!=", ">", "<", ">=", "<="), dottedPath, scalar)
      .map(([op, path, value]) => ({ [op]: [{ var: path }, value] })),
    fc
      .tuple(fc.constantFrom("and", "or"), fc.array(tie("rule"), { minLength: 1, maxLength: 3 }))
      .map(([op, rules]) => ({
        [op]: rules,
      })),
    tie("rule").map((rule) => ({ "!": [rule] })),
    fc.array(dottedPath, { minLength: 1, maxLength: 3 }).map((paths) => ({ missing: paths })),
  ),
})).rule;

/** Template text referring to things that exist: the payload, earlier steps, the execution, the workflow. */
function templateText(stepIds: readonly string[]): fc.Arbitrary<string> {
  const reference = fc.oneof(
    fc.stringMatching(/^[A-Za-z_][\w$-]{0,5}(\.[\w$-]{1,5}|\[\d\])*$/).map((path) => `payload.${path}`),
    fc.constantFrom("execution.id", "workflow.id", "workflow.name", "payload"),
    ...(stepIds.length > 0 ? [fc.constantFrom(...stepIds).map((id) => `steps.${id}.output`)] : []),
  );
  const piece = fc.oneof(
    // No braces in plain text: two pieces ending and starting with "{" would make a "{{".
    fc.string({ maxLength: 10 }).filter((text) => !/[{}]/.test(text)),
    fc.tuple(reference, fc.constantFrom("", " ", "  ")).map(([ref, pad]) => `{{${pad}${ref}${pad}}}`),
  );
  return fc.array(piece, { maxLength: 4 }).map((pieces) => pieces.join(""));
}

/** Valid `data` for a node of each type; `later` are nodes a branch may jump to, `earlier` steps it may read. */
function nodeData(type: string, earlier: readonly string[], later: readonly string[]): fc.Arbitrary<unknown> {
  switch (type) {
    case "send_notification":
      return fc.record({ toRole: role, message: templateText(earlier) });
    case "http_call":
      return fc.record(
        {
          method: fc.constantFrom("GET", "post", "PUT", "DELETE"),
          url: fc
            .tuple(fc.constantFrom("https://x.test", "http://api.example.com/v1"), templateText(earlier))
            .map(([base, path]) => `${base}/${path.replaceAll(" ", "")}`),
          headers: fc.dictionary(fc.constantFrom("X-A", "Authorization"), templateText(earlier), { maxKeys: 2 }),
          body: fc.dictionary(fc.constantFrom("lead", "n", "list"), templateText(earlier), { maxKeys: 3 }),
          timeoutMs: fc.integer({ min: 1, max: 300_000 }),
        },
        { requiredKeys: ["method", "url"] },
      );
    case "delay":
      return fc.oneof(
        fc.record({ ms: fc.integer({ min: 0, max: 86_400_000 }) }),
        fc.record({ seconds: fc.integer({ min: 0, max: 86_400 }) }),
        fc.constant({ until: "2030-01-01T00:00:00Z" }),
      );
    case "branch": {
      const next = later.length > 0 ? fc.constantFrom(...later) : fc.constant(undefined);
      const condition = fc.record(
        { label: fc.string({ maxLength: 6 }), condition: validRule, next },
        { requiredKeys: ["condition"] },
      );
      const elseCase = fc.record({ else: fc.constant(true as const), next }, { requiredKeys: ["else"] });
      return fc
        .tuple(fc.array(condition, { maxLength: 3 }), fc.option(elseCase, { nil: undefined }))
        .map(([cases, otherwise]) => ({
          cases: (otherwise ? [...cases, otherwise] : cases).map((c) =>
            Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)),
          ),
        }));
    }
    default:
      return fc.constantFrom({}, { label: "x" });
  }
}

export interface GeneratedGraph {
  nodes: { id: string; type: string; data: unknown; position?: { x: number; y: number } }[];
  edges: { id: string; source: string; target: string }[];
}

const TYPES = ["send_notification", "http_call", "delay", "branch", "end"] as const;

/**
 * A valid graph: node 0 is the start; every other node has an edge from an
 * earlier node (so all are reachable), and edges and branch jumps only go
 * forward (so there are no cycles).
 */
export const validGraph: fc.Arbitrary<GeneratedGraph> = fc
  .tuple(
    fc.oneof(fc.constant("start"), nodeId),
    fc.uniqueArray(nodeId, { maxLength: 8 }),
    fc.array(fc.constantFrom(...TYPES), { minLength: 8, maxLength: 8 }),
  )
  .filter(([entry, ids]) => !ids.includes(entry))
  .chain(([entry, ids, types]) => {
    const all = [entry, ...ids];
    const count = all.length;
    const parents = ids.map((_, i) => fc.integer({ min: 0, max: i }));
    // Extra forward edges (from an earlier node to a later one), on top of the one that reaches each node.
    const forwardPair = fc
      .integer({ min: 0, max: Math.max(0, count - 2) })
      .chain((from) => fc.tuple(fc.constant(from), fc.integer({ min: from + 1, max: count - 1 })));
    const extraEdges = count < 2 ? fc.constant([] as [number, number][]) : fc.array(forwardPair, { maxLength: count });
    const data = all.map((_, i) =>
      i === 0
        ? nodeData("start", [], all.slice(1))
        : nodeData(types[i - 1] as string, all.slice(0, i), all.slice(i + 1)),
    );
    const positions = fc.array(fc.option(fc.record({ x: fc.integer(), y: fc.integer() }), { nil: undefined }), {
      minLength: count,
      maxLength: count,
    });
    return fc
      .tuple(fc.tuple(...parents), extraEdges, fc.tuple(...data), positions)
      .map(([parentOf, extra, datas, pos]) => {
        const nodes = all.map((id, i) => ({
          id,
          type: i === 0 ? "start" : (types[i - 1] as string),
          data: datas[i],
          ...(pos[i] ? { position: pos[i] } : {}),
        }));
        const pairs = new Set<string>();
        const edges: GeneratedGraph["edges"] = [];
        const link = (from: number, to: number) => {
          const [source, target] = [all[from] as string, all[to] as string];
          if (pairs.has(`${source}\u0000${target}`)) return;
          pairs.add(`${source}\u0000${target}`);
          edges.push({ id: `e${edges.length}`, source, target });
        };
        parentOf.forEach((parent, i) => {
          link(parent, i + 1);
        });
        for (const [from, to] of extra) link(from, to);
        return { nodes, edges };
      });
  });
