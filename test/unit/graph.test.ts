import { describe, expect, it } from "vitest";
import { findEntryNode, GraphIndex, type WorkflowGraph } from "../../src/engine/graph.js";

const graph: WorkflowGraph = {
  nodes: [
    { id: "begin", type: "start" },
    { id: "a", type: "send_notification" },
    { id: "b", type: "send_notification" },
    { id: "join", type: "end" },
  ],
  edges: [
    { source: "begin", target: "a" },
    { source: "begin", target: "b" },
    { source: "a", target: "join" },
    { source: "b", target: "join" },
    { source: "b", target: "join" },
  ],
};

describe("graph helpers", () => {
  it("finds the entry by id start first, else the single start-type node", () => {
    expect(findEntryNode(graph)?.id).toBe("begin");
    expect(
      findEntryNode({
        nodes: [
          { id: "x", type: "start" },
          { id: "start", type: "end" },
        ],
        edges: [],
      })?.id,
    ).toBe("start");
    expect(
      findEntryNode({
        nodes: [
          { id: "x", type: "start" },
          { id: "y", type: "start" },
        ],
        edges: [],
      }),
    ).toBeUndefined();
  });

  it("indexes outgoing and incoming nodes without duplicates", () => {
    const index = new GraphIndex(graph);
    expect(index.outgoing("begin")).toEqual(["a", "b"]);
    expect(index.incoming("join")).toEqual(["a", "b"]);
    expect(index.outgoing("join")).toEqual([]);
    expect(index.edgeTargets("b")).toEqual(["join", "join"]);
  });

  it("adds the node ids a handler names in its data as successors", () => {
    const index = new GraphIndex(graph, (node) => (node.id === "a" ? ["b"] : []));
    expect(index.outgoing("a")).toEqual(["join", "b"]);
    expect(index.incoming("b")).toEqual(["begin", "a"]);
  });
});
