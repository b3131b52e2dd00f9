/**
 * A workflow graph drawn with React Flow, laid out when saved without
 * positions (lib/layout.ts), each node coloured by a status (the execution
 * page) or marked with its problems (the editor uses its own interactive canvas).
 *
 * The first view is computed from the layout and the canvas's size before
 * React Flow draws anything, so there is no second pass to fit the view once
 * nodes are measured. A graph too big to show whole at a readable zoom first
 * shows its start; a big one (BIG_GRAPH nodes or more) draws only the nodes
 * in view. "Fit view" shows it whole.
 */
import {
  Background,
  Controls,
  type Edge,
  getViewportForBounds,
  MarkerType,
  ReactFlow,
  type Viewport,
} from "@xyflow/react";
import { useLayoutEffect, useMemo, useRef, useState } from "react";
import { branchEdges, type Position, type WorkflowGraph } from "../lib/graph.ts";
import { BIG_GRAPH, layoutGraph, NODE_HEIGHT, NODE_WIDTH, topRank } from "../lib/layout.ts";
import { NodeStatuses, NodeStatusesContext } from "../lib/node-statuses.ts";
import { NODE_TYPES, type StepFlowNode } from "./StepNode.tsx";

/** Below this zoom nodes are specks: a graph that would need it first shows its start, at START_ZOOM. */
const READABLE_ZOOM = 0.3;
const START_ZOOM = 0.6;
const MIN_ZOOM = 0.02;
/** The first view and "Fit view" zoom in no further than this (users may, to 2). */
const MAX_ZOOM = 1;
/** Fit view: every node, drawn or not (each has its size from the start). */
const WHOLE_GRAPH = { maxZoom: MAX_ZOOM, minZoom: MIN_ZOOM, includeHiddenNodes: true };

interface Props {
  graph: WorkflowGraph;
  statuses: ReadonlyMap<string, string>;
  selected?: string;
  onSelect?(nodeId: string): void;
}

/** The bounds of the nodes at `positions`. */
function boundsOf(positions: ReadonlyMap<string, Position>) {
  let left = Number.POSITIVE_INFINITY;
  let top = Number.POSITIVE_INFINITY;
  let right = Number.NEGATIVE_INFINITY;
  let bottom = Number.NEGATIVE_INFINITY;
  for (const at of positions.values()) {
    left = Math.min(left, at.x);
    top = Math.min(top, at.y);
    right = Math.max(right, at.x + NODE_WIDTH);
    bottom = Math.max(bottom, at.y + NODE_HEIGHT);
  }
  return Number.isFinite(left) ? { x: left, y: top, width: right - left, height: bottom - top } : undefined;
}

/**
 * The first view: the whole graph when it fits at a zoom where nodes can be
 * told apart; else (a big graph) its start, centred at the top, at a zoom that
 * still reads, drawing only the nodes in view.
 */
function firstView(positions: ReadonlyMap<string, Position>, size: { width: number; height: number }): Viewport {
  const bounds = boundsOf(positions);
  if (!bounds) return { x: 0, y: 0, zoom: 1 };
  const whole = getViewportForBounds(bounds, size.width, size.height, MIN_ZOOM, MAX_ZOOM, 0.1);
  if (whole.zoom >= READABLE_ZOOM) return whole;
  const start = topRank(positions)
    .map((id) => positions.get(id))
    .filter((at): at is Position => at !== undefined);
  const centre = start.reduce((sum, at) => sum + at.x + NODE_WIDTH / 2, 0) / Math.max(1, start.length);
  const zoom = START_ZOOM;
  return { x: size.width / 2 - centre * zoom, y: 20 - bounds.y * zoom, zoom };
}

export function WorkflowFlow({ graph, statuses, selected, onSelect }: Props) {
  const allEdges = useMemo(() => [...graph.edges, ...branchEdges(graph)], [graph]);
  const positions = useMemo(() => layoutGraph(graph.nodes, allEdges), [graph, allEdges]);
  const big = graph.nodes.length >= BIG_GRAPH;
  // The canvas's size, read before the first paint (React Flow is drawn right after, same frame).
  const canvas = useRef<HTMLElement>(null);
  const [size, setSize] = useState<{ width: number; height: number }>();
  useLayoutEffect(() => {
    const box = canvas.current?.getBoundingClientRect();
    if (box) setSize({ width: box.width, height: box.height });
  }, []);
  const viewport = useMemo(() => (size ? firstView(positions, size) : undefined), [positions, size]);
  const edges = useMemo<Edge[]>(
    () =>
      allEdges.map((edge) => ({
        id: edge.id,
        source: edge.source,
        target: edge.target,
        label: typeof edge.label === "string" ? edge.label : undefined,
        markerEnd: { type: MarkerType.ArrowClosed },
      })),
    [allEdges],
  );
  // Statuses reach each node through NodeStatuses, not the nodes array: while an execution runs,
  // React Flow keeps the same nodes and only the nodes whose status changed render again.
  const [nodeStatuses] = useState(() => new NodeStatuses(statuses));
  useLayoutEffect(() => nodeStatuses.set(statuses), [nodeStatuses, statuses]);
  const nodes = useMemo<StepFlowNode[]>(
    () =>
      graph.nodes.map((node) => ({
        id: node.id,
        type: "step",
        position: positions.get(node.id) ?? { x: 0, y: 0 },
        // Sizes from the start: edges and "Fit view" need no measuring of nodes not drawn yet.
        initialWidth: NODE_WIDTH,
        initialHeight: NODE_HEIGHT,
        selected: node.id === selected,
        data: { nodeId: node.id, type: node.type },
      })),
    [graph, positions, selected],
  );
  const flow = useMemo(
    () =>
      viewport ? (
        <ReactFlow
          // A new graph (another version) starts from its own first view.
          key={graph.nodes.length === 0 ? "empty" : `${graph.nodes[0]?.id}:${graph.nodes.length}`}
          nodes={nodes}
          edges={edges}
          nodeTypes={NODE_TYPES}
          nodesDraggable={false}
          nodesConnectable={false}
          onlyRenderVisibleElements={big}
          onNodeClick={(_, node) => onSelect?.(node.id)}
          defaultViewport={viewport}
          minZoom={MIN_ZOOM}
          proOptions={{ hideAttribution: true }}
        >
          <Background />
          <Controls showInteractive={false} fitViewOptions={WHOLE_GRAPH} />
        </ReactFlow>
      ) : null,
    [graph, nodes, edges, big, onSelect, viewport],
  );
  return (
    <section className="flow" aria-label="Workflow graph" ref={canvas}>
      <NodeStatusesContext.Provider value={nodeStatuses}>{flow}</NodeStatusesContext.Provider>
      {viewport && viewport.zoom === START_ZOOM ? (
        <p className="flow-note">
          {graph.nodes.length} nodes, from the start: scroll to zoom out, drag to move, or “Fit view” to see them all.
        </p>
      ) : null}
    </section>
  );
}
