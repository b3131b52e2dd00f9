import { describe, expect, it } from "vitest";
import { branchEdges, readGraph } from "../src/lib/graph.ts";
import { layoutGraph, NODE_HEIGHT, NODE_WIDTH } from "../src/lib/layout.ts";

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

  it("lays out 300 nodes well under a second", () => {
    const nodes = Array.from({ length: 300 }, (_, i) => ({ id: `n${i}`, type: "delay", data: {} }));
    const edges = nodes.slice(1).map((node, i) => ({ id: `e${i}`, source: `n${Math.floor(i / 2)}`, target: node.id }));
    const started = performance.now();
    const at = layoutGraph(nodes, edges);
    expect(at.size).toBe(300);
    // Generous: the whole suite shares two cores.
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it("reads whatever graph JSON it is given without throwing", () => {
    expect(readGraph(null)).toEqual({ nodes: [], edges: [] });
    expect(readGraph({ nodes: [{ type: "start" }, 3], edges: "x" }).nodes[0]?.id).toBe("node_0");
  });
});
