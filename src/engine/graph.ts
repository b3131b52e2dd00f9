/**
 * Workflow graph types and read-only helpers. Pure: no I/O, no validation
 * (see validate.ts); these helpers assume a graph that passed validation.
 */

export interface GraphNode {
  id: string;
  type: string;
  data?: Record<string, unknown>;
  /** UI fields such as `position` are kept as they are and ignored. */
  [uiField: string]: unknown;
}

export interface GraphEdge {
  id?: string;
  source: string;
  target: string;
  [uiField: string]: unknown;
}

export interface WorkflowGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export const ENTRY_NODE_ID = "start";
export const START_TYPE = "start";

/**
 * Execution begins at the node whose id is "start", or else at the single node
 * of type `start`. Returns undefined when neither identifies exactly one node.
 */
export function findEntryNode(graph: WorkflowGraph): GraphNode | undefined {
  const byId = graph.nodes.find((node) => node.id === ENTRY_NODE_ID);
  if (byId) return byId;
  const starts = graph.nodes.filter((node) => node.type === START_TYPE);
  return starts.length === 1 ? starts[0] : undefined;
}

/**
 * Precomputed adjacency for a graph. Successors include both edges and the
 * node ids a handler names in its data (a branch's `next`), because both are
 * ways control can flow from a node.
 */
export class GraphIndex {
  readonly nodes: ReadonlyMap<string, GraphNode>;
  private readonly out = new Map<string, string[]>();
  private readonly into = new Map<string, string[]>();

  constructor(
    readonly graph: WorkflowGraph,
    dataReferences: (node: GraphNode) => readonly string[] = () => [],
  ) {
    this.nodes = new Map(graph.nodes.map((node) => [node.id, node]));
    for (const node of graph.nodes) {
      this.out.set(node.id, []);
      this.into.set(node.id, []);
    }
    const link = (source: string, target: string) => {
      const targets = this.out.get(source);
      const sources = this.into.get(target);
      if (!targets || !sources || targets.includes(target)) return;
      targets.push(target);
      sources.push(source);
    };
    for (const edge of graph.edges) link(edge.source, edge.target);
    for (const node of graph.nodes) {
      for (const target of dataReferences(node)) link(node.id, target);
    }
  }

  node(id: string): GraphNode | undefined {
    return this.nodes.get(id);
  }

  /** Node ids control may flow to from `id` (edges first, then data references), without duplicates. */
  outgoing(id: string): readonly string[] {
    return this.out.get(id) ?? [];
  }

  /** Node ids control may arrive from; a node with several runs once, after all of them. */
  incoming(id: string): readonly string[] {
    return this.into.get(id) ?? [];
  }

  /** Targets of the node's own edges only (what a branch follows when no case matches). */
  edgeTargets(id: string): string[] {
    return this.graph.edges.filter((edge) => edge.source === id).map((edge) => edge.target);
  }
}

/** The node and every node it can lead to (its edges and the nodes its data names). */
export function reachableFrom(index: GraphIndex, fromId: string): Set<string> {
  const seen = new Set<string>([fromId]);
  const queue = [fromId];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    for (const next of index.outgoing(id)) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}
