/**
 * Positions for a graph: nodes saved with a position keep it; when any node
 * lacks one (a workflow written by hand or through the API), dagre lays out
 * the whole graph top to bottom, so the picture is always readable.
 *
 * dagre was the costliest step of drawing a big graph (300 nodes: 150-300 ms,
 * a third of the execution page's budget of 1 s), so from BIG_GRAPH nodes a
 * layered layout of our own (layered-layout.ts, a few ms) places them
 * instead. The last few layouts are kept, so opening another execution of
 * the same version draws at once.
 */
import dagre from "@dagrejs/dagre";
import type { GraphEdge, GraphNode, Position } from "./graph.ts";
import { layeredLayout } from "./layered-layout.ts";

export const NODE_WIDTH = 190;
export const NODE_HEIGHT = 56;

const NODE_SEP = 40;
const RANK_SEP = 60;
const MARGIN = 10;

/** From this many nodes: the layered layout (and WorkflowFlow draws only the nodes in view). */
export const BIG_GRAPH = 100;

const KEPT_LAYOUTS = 8;
const kept = new Map<string, Map<string, Position>>();

/** What a layout depends on: the node ids and the edges. */
function layoutKey(nodes: readonly GraphNode[], edges: readonly Pick<GraphEdge, "source" | "target">[]): string {
  return `${nodes.map((node) => node.id).join("\n")}\0${edges.map((edge) => `${edge.source}>${edge.target}`).join("\n")}`;
}

export function layoutGraph(
  nodes: readonly GraphNode[],
  edges: readonly Pick<GraphEdge, "source" | "target">[],
): Map<string, Position> {
  const positions = new Map<string, Position>();
  if (nodes.length > 0 && nodes.every((node) => node.position)) {
    for (const node of nodes) if (node.position) positions.set(node.id, node.position);
    return positions;
  }
  const key = layoutKey(nodes, edges);
  const known = kept.get(key);
  if (known) {
    // Most recently used last.
    kept.delete(key);
    kept.set(key, known);
    return known;
  }
  if (nodes.length >= BIG_GRAPH) {
    const laid = layeredLayout(
      nodes.map((node) => node.id),
      edges,
      { spacing: NODE_WIDTH + NODE_SEP, rankHeight: NODE_HEIGHT + RANK_SEP },
    );
    // Shifted by the same amount, centres serve as top-left corners.
    for (const [id, at] of laid) positions.set(id, { x: Math.round(at.x + MARGIN), y: Math.round(at.y + MARGIN) });
    return keep(key, positions);
  }
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: NODE_SEP, ranksep: RANK_SEP, marginx: MARGIN, marginy: MARGIN });
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
  return keep(key, positions);
}

function keep(key: string, positions: Map<string, Position>): Map<string, Position> {
  kept.set(key, positions);
  if (kept.size > KEPT_LAYOUTS) kept.delete(kept.keys().next().value as string);
  return positions;
}

/** The nodes at the top of a layout (the first rank): where a first view of a big graph starts. */
export function topRank(positions: ReadonlyMap<string, Position>): string[] {
  let top = Number.POSITIVE_INFINITY;
  for (const at of positions.values()) top = Math.min(top, at.y);
  return [...positions].filter(([, at]) => at.y === top).map(([id]) => id);
}
