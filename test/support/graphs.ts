/**
 * Building workflow graphs in tests: one node, one edge, nodes linked in a
 * row, a fan-out from start, a chain of notifications. Edge ids are
 * `<source>-<target>`, as every test has always built them.
 */

import { GraphIndex } from "../../src/engine/graph.js";
import type { GraphEdge, GraphNode, PinnedWorkflow } from "../../src/engine/index.js";

/** A node as the engine reads it, with its data always present. */
export type TestNode = GraphNode & { data: Record<string, unknown> };
/** An edge as the engine reads it, with its id always present. */
export type TestEdge = GraphEdge & { id: string };

export interface TestGraph {
  nodes: TestNode[];
  edges: TestEdge[];
}

export const node = (id: string, type: string, data: Record<string, unknown> = {}): TestNode => ({ id, type, data });

export const edge = (source: string, target: string): TestEdge => ({ id: `${source}-${target}`, source, target });

/** A send_notification node. */
export const notify = (id: string, message = "hi", toRole = "AE"): TestNode =>
  node(id, "send_notification", { toRole, message });

/** The given nodes, each linked to the next. */
export function linked(...nodes: TestNode[]): TestGraph {
  return { nodes, edges: nodes.slice(1).map((n, i) => edge((nodes[i] as TestNode).id, n.id)) };
}

/** start and the given nodes, each joined to start. */
export function fanOut(...nodes: TestNode[]): TestGraph {
  return { nodes: [node("start", "start"), ...nodes], edges: nodes.map((n) => edge("start", n.id)) };
}

/** start → n1 → n2 → …: `size` nodes (notifications after start) and `size - 1` edges. */
export function notificationChain(size: number): TestGraph {
  return linked(node("start", "start"), ...Array.from({ length: size - 1 }, (_, i) => notify(`n${i + 1}`)));
}

/** A graph of notification nodes on `ids` with these edges, pinned as the runner sees a workflow version. */
export function pinnedNotifications(
  ids: readonly string[],
  edges: readonly (readonly [string, string])[],
): PinnedWorkflow {
  const graph = {
    nodes: ids.map((id) => node(id, "send_notification")),
    edges: edges.map(([source, target]) => edge(source, target)),
  };
  return {
    workflowId: "w",
    version: 1,
    name: "w",
    graph,
    index: new GraphIndex(graph),
    cancelOn: null,
    timeoutMs: null,
    flow: null,
  };
}
