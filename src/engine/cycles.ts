import type { GraphIndex } from "./graph.js";

/**
 * Cycles in a graph, each as the list of node ids around it with the first id
 * repeated at the end (a → b → a). Iterative DFS, so deep graphs cannot blow
 * the stack; each cycle is reported once, from the back edge that closes it.
 */
export function findCycles(index: GraphIndex): string[][] {
  const state = new Map<string, "active" | "done">();
  const cycles: string[][] = [];
  for (const root of index.nodes.keys()) {
    if (state.has(root)) continue;
    const stack: { id: string; next: number }[] = [{ id: root, next: 0 }];
    const path: string[] = [root];
    state.set(root, "active");
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as { id: string; next: number };
      const successors = index.outgoing(frame.id);
      if (frame.next >= successors.length) {
        state.set(frame.id, "done");
        stack.pop();
        path.pop();
        continue;
      }
      const next = successors[frame.next++] as string;
      const seen = state.get(next);
      if (seen === "active") {
        cycles.push([...path.slice(path.indexOf(next)), next]);
      } else if (seen === undefined) {
        state.set(next, "active");
        stack.push({ id: next, next: 0 });
        path.push(next);
      }
    }
  }
  return cycles;
}
