/**
 * The workflows the bench runs. None but Lead routing has a trigger, so every
 * benchmark event starts exactly one execution: Lead routing's.
 */
import { readFileSync } from "node:fs";
import type { Graph, WorkflowIn } from "./api.js";

/** start → n1 → … → n<length>, each a send_notification. */
export function notificationChain(name: string, length: number): WorkflowIn {
  return {
    name,
    graph: chain(
      Array.from({ length }, (_, i) => ({
        id: `n${i + 1}`,
        type: "send_notification",
        data: { toRole: "bench", message: `step ${i + 1}` },
      })),
    ),
  };
}

/**
 * start → g1 → … → g<count>, each an http_call to `<gateBase>/<execution id>/g<n>`,
 * which the bench's HTTP target holds until the bench opens that gate.
 */
export function gates(gateBase: string, count: number): WorkflowIn {
  return {
    name: "bench live updates",
    graph: chain(
      Array.from({ length: count }, (_, i) => ({
        id: `g${i + 1}`,
        type: "http_call",
        data: {
          method: "POST",
          url: `${gateBase}/{{execution.id}}/g${i + 1}`,
          timeoutMs: 120_000,
          retry: { attempts: 1, backoffMs: 0 },
        },
      })),
    ),
  };
}

/** The sample "Lead routing" (SPEC section 7) with its delay set to 0 and its follow-up call sent to `followupUrl`. */
export function leadRouting(followupUrl: string): WorkflowIn {
  const sample = JSON.parse(
    readFileSync(new URL("../src/samples/lead-routing.json", import.meta.url), "utf8"),
  ) as WorkflowIn;
  const nodes = sample.graph.nodes.map((node) => {
    if (node.type === "delay") return { ...node, data: { ms: 0 } };
    if (node.type === "http_call") return { ...node, data: { ...node.data, url: followupUrl } };
    return node;
  });
  return { ...sample, graph: { ...sample.graph, nodes } };
}

/** start → wait (a 1 s delay) → after (send_notification). */
export function oneSecondDelay(): WorkflowIn {
  return {
    name: "bench 1 s delay",
    graph: chain([
      { id: "wait", type: "delay", data: { ms: 1000 } },
      { id: "after", type: "send_notification", data: { toRole: "bench", message: "waited" } },
    ]),
  };
}

/** A start node followed by `nodes`, one after another. */
function chain(nodes: Graph["nodes"]): Graph {
  const order = ["start", ...nodes.map((n) => n.id)];
  return {
    nodes: [{ id: "start", type: "start" }, ...nodes],
    edges: order.slice(1).map((target, i) => ({ source: order[i] as string, target })),
  };
}
