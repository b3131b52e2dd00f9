/**
 * Each graph node's status, outside React Flow's node objects: a status
 * change re-renders that node's component alone. Passing statuses in the
 * nodes array instead made every change a new array, which React Flow adopts
 * whole (all 300 nodes of a big graph, its selectors and edges re-checked)
 * dozens of times a second while an execution runs.
 */
import { createContext, useCallback, useContext, useSyncExternalStore } from "react";

export class NodeStatuses {
  private readonly listeners = new Map<string, Set<() => void>>();

  constructor(private statuses: ReadonlyMap<string, string> = new Map()) {}

  get(nodeId: string): string | undefined {
    return this.statuses.get(nodeId);
  }

  /** Takes the new statuses and tells the listeners of the nodes whose status changed. */
  set(next: ReadonlyMap<string, string>): void {
    const previous = this.statuses;
    if (previous === next) return;
    this.statuses = next;
    for (const [nodeId, listeners] of this.listeners) {
      if (previous.get(nodeId) !== next.get(nodeId)) for (const listener of listeners) listener();
    }
  }

  subscribe(nodeId: string, listener: () => void): () => void {
    const listeners = this.listeners.get(nodeId) ?? new Set();
    this.listeners.set(nodeId, listeners);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.listeners.delete(nodeId);
    };
  }
}

export const NodeStatusesContext = createContext<NodeStatuses | undefined>(undefined);

/** The node's status from the nearest NodeStatuses (undefined without one: the editor). */
export function useNodeStatus(nodeId: string): string | undefined {
  const source = useContext(NodeStatusesContext);
  const subscribe = useCallback(
    (listener: () => void) => source?.subscribe(nodeId, listener) ?? (() => {}),
    [source, nodeId],
  );
  return useSyncExternalStore(subscribe, () => source?.get(nodeId));
}
