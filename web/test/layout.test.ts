import { describe, expect, it } from "vitest";
import { branchEdges, readGraph } from "../src/lib/graph.ts";
import { layeredLayout } from "../src/lib/layered-layout.ts";
import { BIG_GRAPH, layoutGraph, NODE_HEIGHT, NODE_WIDTH, topRank } from "../src/lib/layout.ts";

const diamond = readGraph({
  nodes: [
    { id: "start", type: "start", data: {} },
    {
      id: "br",
      type: "branch",
      data: {
        cases: [
          { label: "yes", condition: { "==": [1, 1] }, next: "left" },
          { else: true, next: "right" },
        ],
      },
    },
    { id: "left", type: "send_notification", data: {} },
    { id: "right", type: "send_notification", data: {} },
    { id: "end", type: "end", data: {} },
  ],
  edges: [
    { id: "e1", source: "start", target: "br" },
    { id: "e2", source: "left", target: "end" },
    { id: "e3", source: "right", target: "end" },
  ],
});

function overlaps(a: { x: number; y: number }, b: { x: number; y: number }): boolean {
  return Math.abs(a.x - b.x) < NODE_WIDTH && Math.abs(a.y - b.y) < NODE_HEIGHT;
}

describe("layout", () => {
  it("lays out a graph saved without positions top to bottom, following edges and branch cases", () => {
    const edges = [...diamond.edges, ...branchEdges(diamond)];
    expect(branchEdges(diamond).map((e) => [e.source, e.target, e.label])).toEqual([
      ["br", "left", "yes"],
      ["br", "right", "else"],
    ]);
    const at = layoutGraph(diamond.nodes, edges);
    const y = (id: string) => at.get(id)?.y ?? Number.NaN;
    expect(y("start")).toBeLessThan(y("br"));
    expect(y("br")).toBeLessThan(y("left"));
    expect(y("left")).toBe(y("right"));
    expect(y("right")).toBeLessThan(y("end"));
    const positions = [...at.values()];
    for (const [i, a] of positions.entries()) {
      for (const b of positions.slice(i + 1)) expect(overlaps(a, b)).toBe(false);
    }
  });

  it("keeps the positions of a graph saved with them", () => {
    const nodes = diamond.nodes.map((node, i) => ({ ...node, position: { x: i * 7, y: -i } }));
    const at = layoutGraph(nodes, diamond.edges);
    expect(at.get("end")).toEqual({ x: 28, y: -4 });
  });

  it("lays out a big graph (300 nodes) in ranks by its own layered layout: no overlap, every edge downwards", () => {
    const nodes = Array.from({ length: 300 }, (_, i) => ({ id: `n${i}`, type: "delay", data: {} }));
    // A binary tree plus joins: a node of each rank also feeds one two ranks down.
    const edges = [
      ...nodes.slice(1).map((node, i) => ({ id: `e${i}`, source: `n${Math.floor(i / 2)}`, target: node.id })),
      ...[5, 20, 70].map((i) => ({ id: `j${i}`, source: `n${i}`, target: `n${4 * i + 7}` })),
    ];
    expect(nodes.length).toBeGreaterThanOrEqual(BIG_GRAPH);
    const started = performance.now();
    const at = layoutGraph(nodes, edges);
    console.log(`layered layout of 300 nodes: ${(performance.now() - started).toFixed(1)} ms`);
    expect(at.size).toBe(300);
    const positions = [...at.values()];
    for (const [i, a] of positions.entries()) {
      for (const b of positions.slice(i + 1)) expect(overlaps(a, b)).toBe(false);
    }
    for (const edge of edges) expect(at.get(edge.source)?.y ?? 0).toBeLessThan(at.get(edge.target)?.y ?? 0);
    // A parent sits above the middle of its two children.
    const mid = ((at.get("n1")?.x ?? 0) + (at.get("n2")?.x ?? 0)) / 2;
    expect(Math.abs((at.get("n0")?.x ?? 0) - mid)).toBeLessThan(1);
    expect(topRank(at)).toEqual(["n0"]);
    // Laid out once: the same graph again is the kept layout.
    expect(layoutGraph(nodes, edges)).toBe(at);
  });

  it("places the nodes of a cycle too (validation refuses cycles; the layout must not hang on one)", () => {
    const ids = Array.from({ length: 120 }, (_, i) => `c${i}`);
    const edges = [
      ...ids.slice(1).map((id, i) => ({ source: ids[i] ?? "", target: id })),
      { source: "c119", target: "c3" },
    ];
    const at = layeredLayout(ids, edges, { spacing: 230, rankHeight: 116 });
    expect(at.size).toBe(120);
    expect(new Set([...at.values()].map((p) => p.y)).size).toBe(120);
  });

  it("keeps ranks apart and a rank's nodes in the order of their parents", () => {
    const at = layeredLayout(
      ["a", "b", "c", "d", "e"],
      [
        { source: "a", target: "b" },
        { source: "a", target: "c" },
        { source: "b", target: "d" },
        { source: "c", target: "e" },
      ],
      { spacing: 100, rankHeight: 50 },
    );
    expect([at.get("a")?.y, at.get("b")?.y, at.get("d")?.y]).toEqual([0, 50, 100]);
    expect((at.get("c")?.x ?? 0) - (at.get("b")?.x ?? 0)).toBe(100);
    expect(at.get("d")?.x).toBe(at.get("b")?.x);
    expect(at.get("e")?.x).toBe(at.get("c")?.x);
  });

  it("reads whatever graph JSON it is given without throwing", () => {
    expect(readGraph(null)).toEqual({ nodes: [], edges: [] });
    expect(readGraph({ nodes: [{ type: "start" }, 3], edges: "x" }).nodes[0]?.id).toBe("node_0");
  });
});
