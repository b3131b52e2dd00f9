/**
 * Validation of a workflow definition (graph + trigger), run on every save and
 * by `validateWorkflow`. It reports every problem at once, each with a path
 * such as `graph.nodes[3].data.url`, so an editor can mark all of them.
 */
import type { z } from "zod";
import { findCycles } from "./cycles.js";
import {
  findEntryNode,
  type GraphEdge,
  GraphIndex,
  type GraphNode,
  reachableFrom,
  type WorkflowGraph,
} from "./graph.js";
import type { HandlerRegistry } from "./handlers/index.js";
import type { NodeHandler } from "./handlers/types.js";
import { checkRule, isEmptyRule, isPlainObject } from "./json-logic.js";
import { checkTemplates } from "./template.js";

export interface ValidationIssue {
  path: string;
  message: string;
}

/** Graph size limits; the server takes them from MAX_GRAPH_NODES and MAX_GRAPH_EDGES. */
export interface ValidationLimits {
  maxNodes: number;
  maxEdges: number;
}

/** The defaults of MAX_GRAPH_NODES and MAX_GRAPH_EDGES (src/config.ts). */
export const DEFAULT_VALIDATION_LIMITS: ValidationLimits = { maxNodes: 500, maxEdges: 2000 };

export type ValidationResult = { ok: true; graph: WorkflowGraph } | { ok: false; issues: ValidationIssue[] };

export function validateWorkflow(
  input: { graph: unknown; trigger: unknown },
  registry: HandlerRegistry,
  limits: ValidationLimits = DEFAULT_VALIDATION_LIMITS,
): ValidationResult {
  const issues: ValidationIssue[] = [];
  issues.push(...validateTrigger(input.trigger));
  const graph = readGraphShape(input.graph, limits, issues);
  if (graph) issues.push(...validateGraph(graph, registry));
  return issues.length === 0 && graph ? { ok: true, graph } : { ok: false, issues };
}

function validateTrigger(trigger: unknown): ValidationIssue[] {
  if (isEmptyRule(trigger)) return [];
  if (!isPlainObject(trigger) && typeof trigger !== "boolean") {
    return [{ path: "trigger", message: "must be a JSONLogic rule object, {} or null" }];
  }
  return checkRule(trigger).map((p) => ({ path: p.path ? `trigger.${p.path}` : "trigger", message: p.message }));
}

/** Checks the container shapes; node and edge contents are checked later. */
function readGraphShape(raw: unknown, limits: ValidationLimits, issues: ValidationIssue[]): WorkflowGraph | undefined {
  const value = raw ?? {};
  if (!isPlainObject(value)) {
    issues.push({ path: "graph", message: "must be an object with nodes and edges" });
    return undefined;
  }
  const nodes = value.nodes ?? [];
  const edges = value.edges ?? [];
  let ok = true;
  if (!Array.isArray(nodes)) {
    issues.push({ path: "graph.nodes", message: "must be an array" });
    ok = false;
  } else if (nodes.length > limits.maxNodes) {
    issues.push({
      path: "graph.nodes",
      message: `too many nodes: ${nodes.length}; at most ${limits.maxNodes} are allowed (MAX_GRAPH_NODES)`,
    });
    ok = false;
  }
  if (!Array.isArray(edges)) {
    issues.push({ path: "graph.edges", message: "must be an array" });
    ok = false;
  } else if (edges.length > limits.maxEdges) {
    issues.push({
      path: "graph.edges",
      message: `too many edges: ${edges.length}; at most ${limits.maxEdges} are allowed (MAX_GRAPH_EDGES)`,
    });
    ok = false;
  }
  return ok ? ({ ...value, nodes, edges } as WorkflowGraph) : undefined;
}

function validateGraph(graph: WorkflowGraph, registry: HandlerRegistry): ValidationIssue[] {
  // An empty graph is a draft (the REST default `graph: {}`): nothing to run, nothing wrong.
  if (graph.nodes.length === 0 && graph.edges.length === 0) return [];
  const issues: ValidationIssue[] = [];
  const nodeIds = collectNodeIds(graph.nodes, issues);
  const references = new Map<string, string[]>();

  graph.nodes.forEach((node, index) => {
    if (!isPlainObject(node)) return;
    const handler = typeof node.type === "string" ? registry.get(node.type) : undefined;
    const at = `graph.nodes[${index}]`;
    if (typeof node.type !== "string" || node.type === "") {
      issues.push({ path: `${at}.type`, message: "required" });
    } else if (!handler) {
      issues.push({
        path: `${at}.type`,
        message: `unknown node type "${node.type}"; known: ${[...registry.keys()].join(", ")}`,
      });
    }
    if (node.data !== undefined && node.data !== null && !isPlainObject(node.data)) {
      issues.push({ path: `${at}.data`, message: "must be an object" });
    } else if (handler) {
      references.set(node.id, validateNodeData(node, handler, `${at}.data`, nodeIds, issues));
    }
  });

  graph.edges.forEach((edge, index) => {
    validateEdge(edge, `graph.edges[${index}]`, nodeIds, issues);
  });
  issues.push(...validateEntry(graph));
  if (issues.length > 0) return issues; // structure is broken: flow checks would only add noise

  const index = new GraphIndex(graph, (node) => references.get(node.id) ?? []);
  for (const cycle of findCycles(index)) {
    issues.push({ path: "graph", message: `cycle detected: ${cycle.join(" → ")}` });
  }
  const entry = findEntryNode(graph) as GraphNode;
  const reachable = reachableFrom(index, entry.id);
  graph.nodes.forEach((node, i) => {
    if (!reachable.has(node.id)) {
      issues.push({
        path: `graph.nodes[${i}]`,
        message: `node "${node.id}" is not reachable from the entry node "${entry.id}"`,
      });
    }
  });
  return issues;
}

function collectNodeIds(nodes: unknown[], issues: ValidationIssue[]): Set<string> {
  const ids = new Set<string>();
  nodes.forEach((node, index) => {
    if (!isPlainObject(node)) {
      issues.push({ path: `graph.nodes[${index}]`, message: "must be an object with id, type and data" });
      return;
    }
    if (typeof node.id !== "string" || node.id.trim() === "") {
      issues.push({ path: `graph.nodes[${index}].id`, message: "required: a non-empty string" });
    } else if (ids.has(node.id)) {
      issues.push({ path: `graph.nodes[${index}].id`, message: `duplicate node id "${node.id}"` });
    } else {
      ids.add(node.id);
    }
  });
  return ids;
}

/** Schema, node references, JSONLogic rules and templates of one node's data. Returns the referenced node ids. */
function validateNodeData(
  node: GraphNode,
  handler: NodeHandler,
  at: string,
  nodeIds: ReadonlySet<string>,
  issues: ValidationIssue[],
): string[] {
  const parsed = handler.dataSchema.safeParse(node.data ?? {}, { reportInput: true });
  if (!parsed.success) {
    issues.push(...zodIssues(parsed.error, at));
    return [];
  }
  const data = parsed.data;
  const referenced: string[] = [];
  for (const ref of handler.references?.(data) ?? []) {
    if (nodeIds.has(ref.nodeId)) referenced.push(ref.nodeId);
    else issues.push({ path: `${at}.${ref.path}`, message: `node "${ref.nodeId}" does not exist` });
  }
  for (const { path, rule } of handler.rules?.(data) ?? []) {
    for (const p of checkRule(rule))
      issues.push({ path: `${at}.${path}${p.path ? `.${p.path}` : ""}`, message: p.message });
  }
  const raw = (node.data ?? {}) as Record<string, unknown>;
  for (const key of handler.templatedKeys ?? Object.keys(raw)) {
    if (raw[key] !== undefined) issues.push(...checkTemplates(raw[key], `${at}.${key}`, nodeIds));
  }
  return referenced;
}

function validateEdge(edge: unknown, at: string, nodeIds: ReadonlySet<string>, issues: ValidationIssue[]): void {
  if (!isPlainObject(edge)) {
    issues.push({ path: at, message: "must be an object with source and target" });
    return;
  }
  const { source, target } = edge as Partial<GraphEdge>;
  for (const [field, value] of [
    ["source", source],
    ["target", target],
  ] as const) {
    if (typeof value !== "string" || value === "")
      issues.push({ path: `${at}.${field}`, message: "required: a node id" });
    else if (!nodeIds.has(value)) issues.push({ path: `${at}.${field}`, message: `node "${value}" does not exist` });
  }
  if (typeof source === "string" && source === target) {
    issues.push({ path: at, message: `edge from "${source}" to itself makes a cycle` });
  }
}

function validateEntry(graph: WorkflowGraph): ValidationIssue[] {
  // Nodes that are not objects (null, 5) are reported by collectNodeIds; here they are skipped.
  const nodes = graph.nodes.filter((node) => isPlainObject(node));
  const starts = nodes.filter((node) => node.type === "start");
  if (starts.length > 1) {
    return [
      {
        path: "graph.nodes",
        message: `exactly one start node is allowed, found ${starts.length}: ${starts.map((n) => n.id).join(", ")}`,
      },
    ];
  }
  if (!findEntryNode({ ...graph, nodes })) {
    return [{ path: "graph.nodes", message: 'no entry node: add a node with id "start" or of type "start"' }];
  }
  return [];
}

/**
 * One node's data as a save checks it (schema, references to other nodes, rules, templates) in
 * its graph, its problems named under `at` (a rerun's replaced data: "input").
 */
export function validateNodeDataIn(
  graph: WorkflowGraph,
  node: GraphNode,
  registry: HandlerRegistry,
  at: string,
): ValidationIssue[] {
  const handler = registry.get(node.type);
  if (!handler) return [{ path: at, message: `node type "${node.type}" is not registered` }];
  const issues: ValidationIssue[] = [];
  validateNodeData(node, handler, at, new Set(graph.nodes.map((n) => n.id)), issues);
  return issues;
}

/** zod issue paths ("url", ["cases", 0, "next"]) joined onto the data path. */
export function zodIssues(error: z.ZodError, at: string): ValidationIssue[] {
  return error.issues.map((issue) => {
    const suffix = issue.path.map((part) => (typeof part === "number" ? `[${part}]` : `.${String(part)}`)).join("");
    const message = issue.code === "invalid_type" && issue.input === undefined ? "required" : issue.message;
    return { path: `${at}${suffix}`, message };
  });
}
