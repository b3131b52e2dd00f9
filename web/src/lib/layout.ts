/**
 * Positions for a graph: nodes saved with a position keep it; when any node
 * lacks one (a workflow written by hand or through the API), dagre lays out
 * the whole graph top to bottom, so the picture is always readable.
 */
import dagre from "@dagrejs/dagre";
import type { GraphEdge, GraphNode, Position } from "./graph.ts";

export const NODE_WIDTH = 190;
export const NODE_HEIGHT = 56;

export function layoutGraph(
  nodes: readonly GraphNode[],
  edges: readonly Pick<GraphEdge, "source" | "target">[],
): Map<string, Position> {
  const positions = new Map<string, Position>();
  if (nodes.length > 0 && nodes.every((node) => node.position)) {
    for (const node of nodes) if (node.position) positions.set(node.id, node.position);
    return positions;
  }
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 40, ranksep: 60, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) g.setNode(node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const edge of edges) {
    if (g.hasNode(edge.source) && g.hasNode(edge.target) && edge.source !== edge.target)
      g.setEdge(edge.source, edge.target);
  }
  dagre.layout(g);
  for (const node of nodes) {
    const laid = g.node(node.id);
    // dagre gives centres; React Flow places nodes by their top-left corner.
    positions.set(node.id, { x: Math.round(laid.x - NODE_WIDTH / 2), y: Math.round(laid.y - NODE_HEIGHT / 2) });
  }
  return positions;
}
