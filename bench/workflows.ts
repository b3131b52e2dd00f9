/**
 * The workflows the bench runs. None but Lead routing has a trigger, so every
 * benchmark event starts exactly one execution: Lead routing's.
 */
import { readFileSync } from "node:fs";
import type { Graph, WorkflowIn } from "./api.js";

/** start → n1 → … → n<length>, each a send_notification. */
export function notificationChain(name: string, length: number): WorkflowIn {
  return { name, graph: chainAfter([{ id: "start", type: "start" }], length) };
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
    graph: {
      nodes: [
        { id: "start", type: "start" },
        { id: "wait", type: "delay", data: { ms: 1000 } },
        { id: "after", type: "send_notification", data: { toRole: "bench", message: "waited" } },
      ],
      edges: [
        { source: "start", target: "wait" },
        { source: "wait", target: "after" },
      ],
    },
  };
}

/**
 * start → gate (an http_call the bench holds until its subscribers are ready) →
 * n1 … n<length> send_notification.
 */
export function gatedChain(gateUrlTemplate: string, length: number): WorkflowIn {
  const head = [
    { id: "start", type: "start" },
    {
      id: "gate",
      type: "http_call",
      data: { method: "POST", url: gateUrlTemplate, timeoutMs: 120_000, retry: { attempts: 1, backoffMs: 0 } },
    },
  ];
  const graph = chainAfter(head, length);
  return {
    name: "bench live updates",
    graph: { ...graph, edges: [{ source: "start", target: "gate" }, ...graph.edges] },
  };
}

/** `head` followed by a chain of `length` notifications hanging off its last node. */
function chainAfter(head: Graph["nodes"], length: number): Graph {
  const chain = Array.from({ length }, (_, i) => ({
    id: `n${i + 1}`,
    type: "send_notification",
    data: { toRole: "bench", message: `step ${i + 1}` },
  }));
  const last = head.at(-1)?.id ?? "start";
  const order = [last, ...chain.map((n) => n.id)];
  return {
    nodes: [...head, ...chain],
    edges: order.slice(1).map((target, i) => ({ source: order[i] as string, target })),
  };
}
