/**
 * A workflow graph drawn with React Flow, laid out with dagre when saved
 * without positions, each node coloured by a status (the execution page) or
 * marked with its problems (the editor uses its own interactive canvas).
 */
import { Background, Controls, type Edge, MarkerType, ReactFlow } from "@xyflow/react";
import { useMemo, useRef } from "react";
import { branchEdges, type WorkflowGraph } from "../lib/graph.ts";
import { layoutGraph, NODE_HEIGHT, NODE_WIDTH } from "../lib/layout.ts";
import { NODE_TYPES, type StepFlowNode } from "./StepNode.tsx";

interface Props {
  graph: WorkflowGraph;
  statuses: Map<string, string>;
  selected?: string;
  onSelect?(nodeId: string): void;
}

export function WorkflowFlow({ graph, statuses, selected, onSelect }: Props) {
  const allEdges = useMemo(() => [...graph.edges, ...branchEdges(graph)], [graph]);
  const positions = useMemo(() => layoutGraph(graph.nodes, allEdges), [graph, allEdges]);
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
  // A node whose status did not change keeps its object, so React Flow redraws only the changed
  // ones (a 300-node execution gets many updates a second, each touching one or two nodes).
  const drawn = useRef(new Map<string, StepFlowNode>());
  const nodes = useMemo<StepFlowNode[]>(
    () =>
      graph.nodes.map((node) => {
        const position = positions.get(node.id) ?? { x: 0, y: 0 };
        const status = statuses.get(node.id);
        const isSelected = node.id === selected;
        const previous = drawn.current.get(node.id);
        if (
          previous &&
          previous.position === position &&
          previous.data.status === status &&
          previous.data.type === node.type &&
          previous.selected === isSelected
        ) {
          return previous;
        }
        const next: StepFlowNode = {
          id: node.id,
          type: "step",
          position,
          // Sizes to start from, so the view fits before React Flow has measured 300 nodes.
          initialWidth: NODE_WIDTH,
          initialHeight: NODE_HEIGHT,
          selected: isSelected,
          data: { nodeId: node.id, type: node.type, status },
        };
        drawn.current.set(node.id, next);
        return next;
      }),
    [graph, positions, statuses, selected],
  );
  return (
    <section className="flow" aria-label="Workflow graph">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        nodesDraggable={false}
        nodesConnectable={false}
        onlyRenderVisibleElements={graph.nodes.length > 100}
        onNodeClick={(_, node) => onSelect?.(node.id)}
        fitView
        fitViewOptions={{ maxZoom: 1 }}
        minZoom={0.1}
        proOptions={{ hideAttribution: true }}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </section>
  );
}
