/** The engine's graph JSON ({nodes, edges}), read defensively: it is stored as the client sent it. */

export interface Position {
  x: number;
  y: number;
}

export interface GraphNode {
  id: string;
  type: string;
  data: Record<string, unknown>;
  position?: Position;
  [ui: string]: unknown;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  [ui: string]: unknown;
}

export interface WorkflowGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isPosition(value: unknown): value is Position {
  return isRecord(value) && typeof value.x === "number" && typeof value.y === "number";
}

export function readGraph(value: unknown): WorkflowGraph {
  if (!isRecord(value)) return { nodes: [], edges: [] };
  const nodes = Array.isArray(value.nodes) ? value.nodes.filter(isRecord) : [];
  const edges = Array.isArray(value.edges) ? value.edges.filter(isRecord) : [];
  return {
    nodes: nodes.map((node, index) => ({
      ...node,
      id: String(node.id ?? `node_${index}`),
      type: String(node.type ?? "unknown"),
      data: isRecord(node.data) ? node.data : {},
      position: isPosition(node.position) ? node.position : undefined,
    })),
    edges: edges.map((edge, index) => ({
      ...edge,
      id: String(edge.id ?? `e${index}`),
      source: String(edge.source ?? ""),
      target: String(edge.target ?? ""),
    })),
  };
}

/** Branch cases name their targets in data (`cases[].next`): drawn as edges too, labelled. */
export function branchEdges(graph: WorkflowGraph): GraphEdge[] {
  const drawn = new Set(graph.edges.map((edge) => `${edge.source}->${edge.target}`));
  const extra: GraphEdge[] = [];
  for (const node of graph.nodes) {
    if (node.type !== "branch" || !Array.isArray(node.data.cases)) continue;
    node.data.cases.forEach((c: unknown, index: number) => {
      if (!isRecord(c) || typeof c.next !== "string") return;
      if (drawn.has(`${node.id}->${c.next}`)) return;
      drawn.add(`${node.id}->${c.next}`);
      extra.push({
        id: `${node.id}:case${index}`,
        source: node.id,
        target: c.next,
        label: typeof c.label === "string" ? c.label : c.else === true ? "else" : `case ${index + 1}`,
        fromBranchCase: true,
      });
    });
  }
  return extra;
}
