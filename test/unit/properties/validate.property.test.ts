/**
 * Properties of workflow validation (src/engine/validate.ts): it answers
 * anything without throwing, accepts every well-formed graph, and what it
 * accepts survives saving and loading unchanged.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createHandlerRegistry } from "../../../src/engine/handlers/index.js";
import { type ValidationResult, validateWorkflow } from "../../../src/engine/validate.js";
import type { Workflow } from "../../../src/generated/prisma/client.js";
import { workflowOut } from "../../../src/rest/serialize.js";
import { anyRule, anything, type GeneratedGraph, json, validGraph, validRule } from "./arbitraries.js";

const registry = createHandlerRegistry();
const validate = (graph: unknown, trigger: unknown = {}) => validateWorkflow({ graph, trigger }, registry);
const RUNS = { numRuns: 60 };

function expectWellFormed(result: ValidationResult): void {
  if (result.ok) {
    expect(Array.isArray(result.graph.nodes) && Array.isArray(result.graph.edges)).toBe(true);
    return;
  }
  expect(result.issues.length).toBeGreaterThan(0);
  for (const issue of result.issues) {
    expect(issue.path).toMatch(/^(graph|trigger)/);
    expect(typeof issue.message).toBe("string");
    expect(issue.message.length).toBeGreaterThan(0);
  }
}

const problems = (result: ValidationResult) => (result.ok ? [] : result.issues);

/** Graph-shaped junk: arrays of nodes and edges whose fields are sometimes right and often not. */
const junkGraph = fc.record(
  {
    nodes: fc.oneof(
      fc.array(
        fc.oneof(
          json,
          fc.record(
            {
              id: fc.oneof(fc.constantFrom("start", "a", "b", "", " "), json),
              type: fc.oneof(
                fc.constantFrom("start", "end", "send_notification", "http_call", "delay", "branch", "send_fax"),
                json,
              ),
              data: json,
            },
            { requiredKeys: [] },
          ),
        ),
        { maxLength: 6 },
      ),
      json,
    ),
    edges: fc.oneof(
      fc.array(
        fc.oneof(
          json,
          fc.record(
            {
              source: fc.oneof(fc.constantFrom("start", "a", "b"), json),
              target: fc.oneof(fc.constantFrom("start", "a", "b"), json),
            },
            { requiredKeys: [] },
          ),
        ),
        { maxLength: 6 },
      ),
      json,
    ),
  },
  { requiredKeys: [] },
);

describe("validateWorkflow: properties", () => {
  it("answers any value for graph and trigger with a result, never an exception", () => {
    fc.assert(
      fc.property(fc.oneof(json, anything, junkGraph), fc.oneof(json, anything, anyRule), (graph, trigger) => {
        expectWellFormed(validate(graph, trigger));
      }),
      { numRuns: 300 },
    );
  });

  it("accepts every generated graph of the real node types with valid data, and valid triggers", () => {
    fc.assert(
      fc.property(validGraph, fc.oneof(validRule, fc.constantFrom({}, null)), (graph, trigger) => {
        expect(problems(validate(graph, trigger))).toEqual([]);
      }),
      RUNS,
    );
  });

  it("keeps a valid graph valid and equal through a save and load (JSON, the REST serialiser)", () => {
    fc.assert(
      fc.property(validGraph, validRule, (graph, trigger) => {
        const first = validate(graph, trigger);
        if (!first.ok) throw new Error(JSON.stringify(first.issues));
        // What the database returns is the JSON text parsed again.
        const stored = JSON.parse(JSON.stringify({ graph: first.graph, trigger }));
        const reloaded = validate(stored.graph, stored.trigger);
        expect(reloaded).toEqual({ ok: true, graph: graph });
        // What a REST client reads back, and sends again on PUT.
        const row = {
          id: "w",
          name: "n",
          description: null,
          version: 1,
          isActive: true,
          graph: stored.graph,
          trigger: stored.trigger,
          createdAt: new Date(0),
          updatedAt: new Date(0),
        } as unknown as Workflow;
        const out = JSON.parse(JSON.stringify(workflowOut(row, [])));
        expect(out.graph).toEqual(graph);
        expect(out.definition).toEqual(graph);
        expect(validate(out.graph, out.trigger)).toEqual({ ok: true, graph });
      }),
      RUNS,
    );
  });

  it("finds the cycle when an edge is added against the flow", () => {
    fc.assert(
      fc.property(
        validGraph.filter((g) => g.edges.length > 0),
        fc.nat(),
        (graph, pick) => {
          const back = graph.edges[pick % graph.edges.length] as GeneratedGraph["edges"][number];
          const cyclic = {
            ...graph,
            edges: [...graph.edges, { id: "back", source: back.target, target: back.source }],
          };
          expect(problems(validate(cyclic)).map((p) => p.message)).toContainEqual(
            expect.stringMatching(/^cycle detected: /),
          );
        },
      ),
      RUNS,
    );
  });

  it("finds a node nothing leads to", () => {
    fc.assert(
      fc.property(validGraph, (graph) => {
        const island = { id: "island", type: "end", data: {} };
        const result = validate({ ...graph, nodes: [...graph.nodes, island] });
        expect(problems(result)).toContainEqual({
          path: `graph.nodes[${graph.nodes.length}]`,
          message: `node "island" is not reachable from the entry node "${graph.nodes[0]?.id}"`,
        });
      }),
      RUNS,
    );
  });

  it("accepts a graph exactly when it is within the size limits", () => {
    fc.assert(
      fc.property(
        validGraph,
        fc.integer({ min: 1, max: 14 }),
        fc.integer({ min: 0, max: 30 }),
        (graph, maxNodes, maxEdges) => {
          const result = validateWorkflow({ graph, trigger: {} }, registry, { maxNodes, maxEdges });
          const within = graph.nodes.length <= maxNodes && graph.edges.length <= maxEdges;
          expect(result.ok).toBe(within);
          if (!within) {
            expect(
              problems(result)
                .map((p) => p.message)
                .join("\n"),
            ).toMatch(/\(MAX_GRAPH_(NODES|EDGES)\)/);
          }
        },
      ),
      RUNS,
    );
  });
});
