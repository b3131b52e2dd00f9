/**
 * A fast layered layout for big graphs (layout.ts uses it from BIG_GRAPH
 * nodes; dagre below). dagre spends 150-300 ms on 300 nodes, a third of the
 * time the execution page has to draw one; this takes a few milliseconds and
 * draws the tree-like graphs workflows are much as dagre does:
 *
 * 1. ranks: the longest path from a source (cycles, which validation
 *    refuses anyway, are broken at the edge that closes them);
 * 2. a first order in each rank from a depth-first walk, so a subtree's nodes
 *    sit together;
 * 3. sweeps down and up: each node wants the mean x of its parents (going
 *    down) or children (going up); a rank is sorted by those wishes and placed
 *    as near them as the spacing allows (least squares under "at least
 *    `spacing` apart, in this order", solved exactly by pooling adjacent
 *    violators). Ending on an up sweep centres parents over their children.
 *
 * Unlike dagre it adds no bend points: an edge that skips ranks is drawn
 * straight, and may pass near a node of a rank between.
 */
import type { Position } from "./graph.ts";

export interface LayeredOptions {
  /** Distance between the centres of neighbours in a rank. */
  spacing: number;
  /** Distance between the tops of consecutive ranks. */
  rankHeight: number;
  /** Down-and-up sweep pairs. */
  sweeps?: number;
}

/** Where each node goes, by id: centres `spacing` apart in a rank (the leftmost at x 0), ranks `rankHeight` apart (the first at y 0). */
export function layeredLayout(
  ids: readonly string[],
  edges: readonly { source: string; target: string }[],
  { spacing, rankHeight, sweeps = 3 }: LayeredOptions,
): Map<string, Position> {
  const n = ids.length;
  const index = new Map(ids.map((id, i) => [id, i]));
  const out: number[][] = Array.from({ length: n }, () => []);
  for (const edge of edges) {
    const s = index.get(edge.source);
    const t = index.get(edge.target);
    if (s !== undefined && t !== undefined && s !== t) out[s]?.push(t);
  }

  // A depth-first walk from every source (then from whatever is left, for cycles): the first
  // order, and the edges that close a cycle, which are left out.
  const state = new Uint8Array(n); // 0 unseen, 1 on the path, 2 done
  const walk: number[] = [];
  const kept: number[][] = Array.from({ length: n }, () => []);
  const visit = (root: number) => {
    const stack: [number, number][] = [[root, 0]];
    state[root] = 1;
    walk.push(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as [number, number];
      const [v, next] = top;
      const targets = out[v] ?? [];
      if (next >= targets.length) {
        state[v] = 2;
        stack.pop();
        continue;
      }
      top[1] = next + 1;
      const w = targets[next] as number;
      if (state[w] === 1) continue; // closes a cycle
      kept[v]?.push(w);
      if (state[w] === 0) {
        state[w] = 1;
        walk.push(w);
        stack.push([w, 0]);
      }
    }
  };
  const hasParent = new Uint8Array(n);
  for (const targets of out) for (const t of targets) hasParent[t] = 1;
  for (let v = 0; v < n; v++) if (!hasParent[v] && state[v] === 0) visit(v);
  for (let v = 0; v < n; v++) if (state[v] === 0) visit(v);

  // Ranks by longest path, in a topological order of the kept edges.
  const parents: number[][] = Array.from({ length: n }, () => []);
  const inDegree = new Int32Array(n);
  for (let v = 0; v < n; v++) {
    for (const w of kept[v] ?? []) {
      parents[w]?.push(v);
      inDegree[w] = (inDegree[w] ?? 0) + 1;
    }
  }
  const rank = new Int32Array(n);
  const queue = walk.filter((v) => inDegree[v] === 0);
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head] as number;
    for (const w of kept[v] ?? []) {
      rank[w] = Math.max(rank[w] ?? 0, (rank[v] ?? 0) + 1);
      inDegree[w] = (inDegree[w] ?? 0) - 1;
      if (inDegree[w] === 0) queue.push(w);
    }
  }

  // Ranks in walk order, packed from 0.
  const ranks: number[][] = [];
  for (const v of walk) {
    const r = rank[v] ?? 0;
    const row = ranks[r] ?? [];
    ranks[r] = row;
    row.push(v);
  }
  const x = new Float64Array(n);
  for (const row of ranks) {
    for (const [i, v] of (row ?? []).entries()) x[v] = i * spacing;
  }

  const sweep = (neighbours: number[][], order: number[]) => {
    for (const r of order) {
      const row = ranks[r];
      if (!row || row.length === 0) continue;
      const wish = new Map<number, number>();
      for (const v of row) {
        const near = neighbours[v] ?? [];
        let sum = 0;
        for (const w of near) sum += x[w] ?? 0;
        wish.set(v, near.length > 0 ? sum / near.length : (x[v] ?? 0));
      }
      row.sort((a, b) => (wish.get(a) ?? 0) - (wish.get(b) ?? 0));
      const placed = place(
        row.map((v) => wish.get(v) ?? 0),
        spacing,
      );
      for (const [i, v] of row.entries()) x[v] = placed[i] ?? 0;
    }
  };
  const down = ranks.map((_, r) => r).slice(1);
  const up = ranks.map((_, r) => r).reverse();
  for (let i = 0; i < sweeps; i++) {
    sweep(parents, down);
    sweep(kept, up);
  }

  let minX = Number.POSITIVE_INFINITY;
  for (let v = 0; v < n; v++) minX = Math.min(minX, x[v] ?? 0);
  const positions = new Map<string, Position>();
  for (const [v, id] of ids.entries()) positions.set(id, { x: (x[v] ?? 0) - minX, y: (rank[v] ?? 0) * rankHeight });
  return positions;
}

/**
 * Positions as near `wishes` as can be with each at least `spacing` right of
 * the one before (least squares; pool adjacent violators on wish - i·spacing).
 */
function place(wishes: readonly number[], spacing: number): number[] {
  const blocks: { sum: number; count: number }[] = [];
  for (const [i, wish] of wishes.entries()) {
    blocks.push({ sum: wish - i * spacing, count: 1 });
    for (;;) {
      const last = blocks[blocks.length - 1];
      const before = blocks[blocks.length - 2];
      if (!last || !before || before.sum / before.count <= last.sum / last.count) break;
      before.sum += last.sum;
      before.count += last.count;
      blocks.pop();
    }
  }
  const placed: number[] = [];
  for (const block of blocks) {
    const level = block.sum / block.count;
    for (let k = 0; k < block.count; k++) placed.push(level + placed.length * spacing);
  }
  return placed;
}
