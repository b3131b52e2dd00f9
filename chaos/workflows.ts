/**
 * The workflows the chaos run drives, the events it sends, and what each event
 * must produce: which workflows run, their final status, the nodes visited,
 * the notifications stored and the HTTP calls made.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const FLOWS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../test/flows");

export type FlowName = "lead" | "failing" | "diamond";

export interface WorkflowDefinition {
  name: string;
  trigger: unknown;
  graph: { nodes: { id: string; type: string; data: Record<string, unknown> }[]; edges: unknown[] };
}

/** Lead routing as in the tests (300 ms delay, a follow-up call to the local target). */
function leadRouting(target: string): WorkflowDefinition {
  const text = readFileSync(path.join(FLOWS_DIR, "lead-routing.json"), "utf8").replaceAll('"LOCAL/', `"${target}/`);
  const flow = JSON.parse(text) as WorkflowDefinition;
  return { ...flow, name: "chaos: lead routing" };
}

/** A notification, then a call that always answers 500: the execution FAILS after two tries. */
function failing(target: string): WorkflowDefinition {
  return {
    name: "chaos: failing call",
    trigger: { "==": [{ var: "route" }, "fail"] },
    graph: {
      nodes: [
        { id: "start", type: "start", data: {} },
        { id: "before", type: "send_notification", data: { toRole: "ops", message: "about to fail" } },
        {
          id: "call",
          type: "http_call",
          data: { method: "POST", url: `${target}/broken`, retry: { attempts: 2, backoffMs: 50 } },
        },
        { id: "after", type: "send_notification", data: { toRole: "ops", message: "never" } },
      ],
      edges: [
        { id: "e1", source: "start", target: "before" },
        { id: "e2", source: "before", target: "call" },
        { id: "e3", source: "call", target: "after" },
      ],
    },
  };
}

/** Two parallel paths (one waits 400 ms) joining into one node, then a call. */
function diamond(target: string): WorkflowDefinition {
  const flow = JSON.parse(readFileSync(path.join(FLOWS_DIR, "diamond.json"), "utf8")) as WorkflowDefinition;
  return {
    name: "chaos: diamond",
    trigger: { "==": [{ var: "route" }, "diamond"] },
    graph: {
      nodes: [
        ...flow.graph.nodes,
        { id: "done", type: "http_call", data: { method: "POST", url: `${target}/diamond` } },
      ],
      edges: [...flow.graph.edges, { id: "e5", source: "join", target: "done" }],
    },
  };
}

export function chaosWorkflows(target: string): Record<FlowName, WorkflowDefinition> {
  return { lead: leadRouting(target), failing: failing(target), diamond: diamond(target) };
}

/** What one execution must look like once finished. */
export interface Expectation {
  flow: FlowName;
  status: "SUCCEEDED" | "FAILED";
  /** Nodes with a step that is not SKIPPED, and the status each must have. */
  visited: Record<string, "SUCCEEDED" | "FAILED">;
  /** The HTTP call made (Idempotency-Key `<executionId>:<node>`) and the least number of requests it takes. */
  http?: { node: string; path: string; requests: number };
}

const LEAD_BASE = { start: "SUCCEEDED", n1: "SUCCEEDED", n2: "SUCCEEDED", n3: "SUCCEEDED", br1: "SUCCEEDED" } as const;
const LEAD_HTTP = { node: "n3", path: "/followup", requests: 1 };

const EXPECT = {
  leadCeo: { flow: "lead", status: "SUCCEEDED", visited: { ...LEAD_BASE, gift_start: "SUCCEEDED" }, http: LEAD_HTTP },
  leadOther: { flow: "lead", status: "SUCCEEDED", visited: { ...LEAD_BASE, drip_start: "SUCCEEDED" }, http: LEAD_HTTP },
  failing: {
    flow: "failing",
    status: "FAILED",
    visited: { start: "SUCCEEDED", before: "SUCCEEDED", call: "FAILED" },
    http: { node: "call", path: "/broken", requests: 2 },
  },
  diamond: {
    flow: "diamond",
    status: "SUCCEEDED",
    visited: { start: "SUCCEEDED", a: "SUCCEEDED", b: "SUCCEEDED", join: "SUCCEEDED", done: "SUCCEEDED" },
    http: { node: "done", path: "/diamond", requests: 1 },
  },
} satisfies Record<string, Expectation>;

/** The kinds of event sent, in rotation: each matches a different set of workflows (one matches none). */
export const EVENT_KINDS = {
  ceo: { payload: { lead: { source: "LinkedIn", score: 90, title: "CEO" } }, expect: [EXPECT.leadCeo] },
  vpAndDiamond: {
    payload: { lead: { source: "LinkedIn", score: 80, title: "VP" }, route: "diamond" },
    expect: [EXPECT.leadOther, EXPECT.diamond],
  },
  diamond: { payload: { route: "diamond" }, expect: [EXPECT.diamond] },
  failAndCeo: {
    payload: { lead: { source: "LinkedIn", score: 95, title: "CEO" }, route: "fail" },
    expect: [EXPECT.failing, EXPECT.leadCeo],
  },
  none: { payload: { lead: { source: "Email", score: 10 } }, expect: [] },
} satisfies Record<string, { payload: object; expect: Expectation[] }>;

export type EventKind = keyof typeof EVENT_KINDS;
export const EVENT_ROTATION = Object.keys(EVENT_KINDS) as EventKind[];
