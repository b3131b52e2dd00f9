import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createHandlerRegistry } from "../../src/engine/handlers/index.js";
import { DEFAULT_VALIDATION_LIMITS, type ValidationIssue, validateWorkflow } from "../../src/engine/validate.js";
import leadRouting from "../../src/samples/lead-routing.json" with { type: "json" };
import temperatureControl from "../../src/samples/temperature-control.json" with { type: "json" };
import originalReadme from "../fixtures/original-readme-workflow.json" with { type: "json" };
import { edge, node, notificationChain, notify } from "../support/graphs.js";

const registry = createHandlerRegistry();

function issuesOf(graph: unknown, trigger: unknown = {}): ValidationIssue[] {
  const result = validateWorkflow({ graph, trigger }, registry);
  return result.ok ? [] : result.issues;
}

describe("validateWorkflow: valid definitions", () => {
  it("accepts the original UI's new workflow: only a start node and an empty trigger", () => {
    const result = validateWorkflow(
      {
        graph: { nodes: [{ id: "start", type: "start", data: {}, position: { x: 0, y: 0 } }], edges: [] },
        trigger: {},
      },
      registry,
    );
    expect(result.ok).toBe(true);
  });

  it("accepts both sample workflows of the original engine", () => {
    expect(issuesOf(leadRouting.graph, leadRouting.trigger)).toEqual([]);
    expect(issuesOf(temperatureControl.graph, temperatureControl.trigger)).toEqual([]);
  });

  it("accepts an empty graph as a draft (the REST default graph {}) and a null trigger", () => {
    expect(issuesOf({}, null)).toEqual([]);
    expect(issuesOf(undefined, undefined)).toEqual([]);
  });

  it("keeps UI fields such as position and labels on the returned graph", () => {
    const graph = {
      nodes: [{ id: "start", type: "start", data: { label: "Go" }, position: { x: 5, y: 6 } }],
      edges: [],
    };
    const result = validateWorkflow({ graph, trigger: {} }, registry);
    expect(result.ok && result.graph.nodes[0]).toEqual(graph.nodes[0]);
  });

  it("takes the single node of type start as entry when no node has id start", () => {
    expect(issuesOf({ nodes: [node("begin", "start"), notify("a")], edges: [edge("begin", "a")] })).toEqual([]);
  });

  it("accepts a diamond where two paths join", () => {
    const graph = {
      nodes: [node("start", "start"), notify("a"), notify("b"), notify("join")],
      edges: [edge("start", "a"), edge("start", "b"), edge("a", "join"), edge("b", "join")],
    };
    expect(issuesOf(graph)).toEqual([]);
  });
});

describe("validateWorkflow: each rule", () => {
  it("rejects the original README's example: its branch points at gift and drip, which do not exist", () => {
    const issues = issuesOf(originalReadme.graph, originalReadme.trigger);
    expect(issues).toContainEqual({ path: "graph.nodes[4].data.cases[0].next", message: 'node "gift" does not exist' });
    expect(issues).toContainEqual({ path: "graph.nodes[4].data.cases[1].next", message: 'node "drip" does not exist' });
  });

  it("requires unique, non-empty node ids", () => {
    const issues = issuesOf({ nodes: [node("start", "start"), notify("a"), notify("a"), notify("")], edges: [] });
    expect(issues).toContainEqual({ path: "graph.nodes[2].id", message: 'duplicate node id "a"' });
    expect(issues).toContainEqual({ path: "graph.nodes[3].id", message: "required: a non-empty string" });
  });

  it("requires exactly one entry node", () => {
    expect(issuesOf({ nodes: [notify("a")], edges: [] })).toEqual([
      { path: "graph.nodes", message: 'no entry node: add a node with id "start" or of type "start"' },
    ]);
    const two = issuesOf({ nodes: [node("s1", "start"), node("s2", "start")], edges: [] });
    expect(two[0]?.message).toMatch(/exactly one start node is allowed, found 2: s1, s2/);
  });

  it("requires every edge's source and target to exist", () => {
    const issues = issuesOf({
      nodes: [node("start", "start"), notify("a")],
      edges: [edge("start", "a"), edge("ghost", "b")],
    });
    expect(issues).toContainEqual({ path: "graph.edges[1].source", message: 'node "ghost" does not exist' });
    expect(issues).toContainEqual({ path: "graph.edges[1].target", message: 'node "b" does not exist' });
  });

  it("rejects cycles and names the nodes around them", () => {
    const graph = {
      nodes: [node("start", "start"), notify("a"), notify("b"), notify("c")],
      edges: [edge("start", "a"), edge("a", "b"), edge("b", "c"), edge("c", "a")],
    };
    expect(issuesOf(graph)).toEqual([{ path: "graph", message: "cycle detected: a → b → c → a" }]);
  });

  it("counts a branch's next as a way control flows, for cycles too", () => {
    const graph = {
      nodes: [node("start", "start"), notify("a"), node("br", "branch", { cases: [{ else: true, next: "a" }] })],
      edges: [edge("start", "a"), edge("a", "br")],
    };
    expect(issuesOf(graph)).toEqual([{ path: "graph", message: "cycle detected: a → br → a" }]);
  });

  it("rejects a self-loop edge", () => {
    const issues = issuesOf({
      nodes: [node("start", "start"), notify("a")],
      edges: [edge("start", "a"), edge("a", "a")],
    });
    expect(issues).toEqual([{ path: "graph.edges[1]", message: 'edge from "a" to itself makes a cycle' }]);
  });

  it("requires every node to be reachable from the entry", () => {
    const issues = issuesOf({
      nodes: [node("start", "start"), notify("a"), notify("island")],
      edges: [edge("start", "a")],
    });
    expect(issues).toEqual([
      { path: "graph.nodes[2]", message: 'node "island" is not reachable from the entry node "start"' },
    ]);
  });

  it("requires node types to be registered", () => {
    const issues = issuesOf({ nodes: [node("start", "start"), node("x", "send_fax")], edges: [edge("start", "x")] });
    expect(issues[0]?.path).toBe("graph.nodes[1].type");
    expect(issues[0]?.message).toMatch(/unknown node type "send_fax"; known: start, end, send_notification/);
  });

  it("validates each node's data against its type's schema, naming the field", () => {
    const graph = {
      nodes: [
        node("start", "start"),
        node("a", "send_notification", { toRole: "r".repeat(201), message: "role too long" }),
        node("a2", "send_notification", { toRole: 7, message: "role of the wrong type" }),
        node("b", "delay", { ms: 1, seconds: 1 }),
        node("c", "http_call", { method: "POST" }),
        node("d", "http_call", { method: "FETCH", url: "ftp://example.com" }),
      ],
      edges: [edge("start", "a"), edge("a", "a2"), edge("a2", "b"), edge("b", "c"), edge("c", "d")],
    };
    const issues = issuesOf(graph);
    expect(issues).toContainEqual({
      path: "graph.nodes[1].data.toRole",
      message: "must be at most 200 characters; this one is 201",
    });
    expect(issues).toContainEqual({
      path: "graph.nodes[2].data.toRole",
      message: "Invalid input: expected string, received number",
    });
    expect(issues).toContainEqual({
      path: "graph.nodes[3].data",
      message: "at most one of ms, seconds or until may be given",
    });
    expect(issues).toContainEqual({ path: "graph.nodes[4].data.url", message: "required" });
    expect(issues.find((i) => i.path === "graph.nodes[5].data.method")?.message).toMatch(/GET/);
    expect(issues).toContainEqual({ path: "graph.nodes[5].data.url", message: "must be an http(s) URL" });
  });

  it("rejects data that is not an object", () => {
    expect(issuesOf({ nodes: [{ id: "start", type: "start", data: [1] }], edges: [] })).toEqual([
      { path: "graph.nodes[0].data", message: "must be an object" },
    ]);
  });

  it("allows at most one else case and requires conditions elsewhere", () => {
    const graph = {
      nodes: [
        node("start", "start"),
        node("br", "branch", { cases: [{ label: "x" }, { else: true, next: "a" }, { else: true, next: "a" }] }),
        notify("a"),
      ],
      edges: [edge("start", "br")],
    };
    const issues = issuesOf(graph);
    expect(issues).toContainEqual({
      path: "graph.nodes[1].data.cases",
      message: "at most one case may be the else case",
    });
    expect(issues).toContainEqual({
      path: "graph.nodes[1].data.cases[0].condition",
      message: "required unless the case is the else case",
    });
  });

  it("requires well-formed JSONLogic with known operators in triggers and branch conditions", () => {
    const graph = {
      nodes: [
        node("start", "start"),
        node("br", "branch", { cases: [{ condition: { regex_match: [{ var: "x" }, "a.*"] }, next: "a" }] }),
        notify("a"),
      ],
      edges: [edge("start", "br")],
    };
    const issues = issuesOf(graph, { and: [{ "==": [{ var: "a" }, 1] }, { "=~": [1, 2] }] });
    expect(issues).toContainEqual({ path: "trigger.and[1].=~", message: 'unknown JSONLogic operator "=~"' });
    expect(issues).toContainEqual({
      path: "graph.nodes[1].data.cases[0].condition.regex_match",
      message: 'unknown JSONLogic operator "regex_match"',
    });
  });

  it("rejects a trigger that is not a rule", () => {
    expect(issuesOf({}, "always")).toEqual([
      { path: "trigger", message: "must be a JSONLogic rule object, {} or null" },
    ]);
    expect(issuesOf({}, { "==": [1, 1], ">": [2, 1] })).toEqual([
      { path: "trigger", message: "a rule object must have exactly one operator, found 2" },
    ]);
  });

  it("requires template references to be well-formed and to name existing nodes", () => {
    const graph = {
      nodes: [
        node("start", "start"),
        node("a", "send_notification", { toRole: "AE", message: "Lead {{ payload.lead.title" }),
        node("b", "send_notification", { toRole: "AE", message: "{{ secrets.key }} and {{ }}" }),
        node("c", "http_call", {
          url: "https://x.test/{{steps.ghost.output.id}}",
          body: { items: ["{{ payload..x }}"] },
        }),
      ],
      edges: [edge("start", "a"), edge("a", "b"), edge("b", "c")],
    };
    const issues = issuesOf(graph);
    expect(issues).toContainEqual({
      path: "graph.nodes[1].data.message",
      message: "unclosed template: '{{' without a matching '}}'",
    });
    expect(issues).toContainEqual({
      path: "graph.nodes[2].data.message",
      message: 'template reference "secrets.key" must start with one of payload, steps, execution, workflow',
    });
    expect(issues).toContainEqual({ path: "graph.nodes[2].data.message", message: "empty template '{{ }}'" });
    expect(issues).toContainEqual({
      path: "graph.nodes[3].data.url",
      message: 'template reference "steps.ghost.output.id" names node "ghost", which does not exist',
    });
    expect(issues).toContainEqual({
      path: "graph.nodes[3].data.body.items[0]",
      message: 'malformed template reference "payload..x"',
    });
  });

  it("reports every problem at once", () => {
    const graph = {
      nodes: [node("start", "start"), node("a", "send_notification", { toRole: 7, message: 7 }), node("a", "nope")],
      edges: [edge("start", "zzz")],
    };
    const issues = issuesOf(graph, { nope: [] });
    expect(issues.map((i) => i.path).sort()).toEqual(
      [
        "graph.edges[0].target",
        "graph.nodes[1].data.message",
        "graph.nodes[1].data.toRole",
        "graph.nodes[2].id",
        "graph.nodes[2].type",
        "trigger.nope",
      ].sort(),
    );
  });

  it("reports nodes and edges that are null or not objects, without throwing", () => {
    expect(issuesOf({ nodes: [null] })).toEqual([
      { path: "graph.nodes[0]", message: "must be an object with id, type and data" },
      { path: "graph.nodes", message: 'no entry node: add a node with id "start" or of type "start"' },
    ]);
    const issues = issuesOf({ nodes: [node("start", "start"), null, 5, "x"], edges: [null, 7] });
    expect(issues).toContainEqual({ path: "graph.nodes[1]", message: "must be an object with id, type and data" });
    expect(issues).toContainEqual({ path: "graph.edges[0]", message: "must be an object with source and target" });
    expect(issues).toContainEqual({ path: "graph.edges[1]", message: "must be an object with source and target" });
  });

  it("rejects graphs of the wrong shape and oversized graphs", () => {
    expect(issuesOf([])).toEqual([{ path: "graph", message: "must be an object with nodes and edges" }]);
    expect(issuesOf({ nodes: {}, edges: "x" })).toEqual([
      { path: "graph.nodes", message: "must be an array" },
      { path: "graph.edges", message: "must be an array" },
    ]);
  });
});

describe("validateWorkflow: graph size limits (MAX_GRAPH_NODES, MAX_GRAPH_EDGES)", () => {
  it("defaults to the settings' defaults: 500 nodes and 2000 edges", () => {
    const config = loadConfig({});
    expect({ maxNodes: config.MAX_GRAPH_NODES, maxEdges: config.MAX_GRAPH_EDGES }).toEqual(DEFAULT_VALIDATION_LIMITS);
    expect(DEFAULT_VALIDATION_LIMITS).toEqual({ maxNodes: 500, maxEdges: 2000 });
  });

  it("accepts a graph of exactly 500 nodes and rejects 501, naming the limit and the setting", () => {
    expect(issuesOf(notificationChain(500))).toEqual([]);
    expect(issuesOf(notificationChain(501))).toEqual([
      { path: "graph.nodes", message: "too many nodes: 501; at most 500 are allowed (MAX_GRAPH_NODES)" },
    ]);
  });

  it("rejects more edges than allowed, even when every edge is well-formed", () => {
    const graph = notificationChain(3);
    const edges = Array.from({ length: 2001 }, () => edge("start", "n1"));
    expect(issuesOf({ ...graph, edges })).toEqual([
      { path: "graph.edges", message: "too many edges: 2001; at most 2000 are allowed (MAX_GRAPH_EDGES)" },
    ]);
  });

  it("applies limits given by the caller, at the boundary", () => {
    const limits = { maxNodes: 3, maxEdges: 2 };
    const check = (graph: unknown) => {
      const result = validateWorkflow({ graph, trigger: {} }, registry, limits);
      return result.ok ? [] : result.issues;
    };
    expect(check(notificationChain(3))).toEqual([]);
    expect(check(notificationChain(4))).toEqual([
      { path: "graph.nodes", message: "too many nodes: 4; at most 3 are allowed (MAX_GRAPH_NODES)" },
      { path: "graph.edges", message: "too many edges: 3; at most 2 are allowed (MAX_GRAPH_EDGES)" },
    ]);
    // A limit is checked before anything else, so an oversized graph is rejected without walking it.
    const junk = { nodes: Array.from({ length: 4 }, () => "not a node"), edges: [] };
    expect(check(junk)).toEqual([
      { path: "graph.nodes", message: "too many nodes: 4; at most 3 are allowed (MAX_GRAPH_NODES)" },
    ]);
  });

  it("reads the limits from the environment and refuses nonsense values", () => {
    const config = loadConfig({ MAX_GRAPH_NODES: "20", MAX_GRAPH_EDGES: "40" });
    expect([config.MAX_GRAPH_NODES, config.MAX_GRAPH_EDGES]).toEqual([20, 40]);
    expect(() => loadConfig({ MAX_GRAPH_NODES: "0" })).toThrow(/MAX_GRAPH_NODES/);
    expect(() => loadConfig({ MAX_GRAPH_EDGES: "many" })).toThrow(/MAX_GRAPH_EDGES/);
  });
});
