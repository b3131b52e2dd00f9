/**
 * Pinned workflow versions, indexed for the runner. Versions are immutable, so
 * an entry never goes stale; the cache is bounded so a long-lived worker that
 * sees many versions keeps its memory flat.
 */
import type { SqlDb } from "../db/sql.js";
import { type FlowControl, storedFlowControl } from "./flow-control.js";
import { GraphIndex, type WorkflowGraph } from "./graph.js";
import type { HandlerRegistry } from "./handlers/index.js";
import { isEmptyRule, type JsonLogicRule } from "./json-logic.js";
import { readWorkflowVersion } from "./store/workflow-version.js";

export interface PinnedWorkflow {
  workflowId: string;
  version: number;
  name: string;
  graph: WorkflowGraph;
  index: GraphIndex;
  /** JSONLogic rule (templates unrendered) whose matching event cancels an execution; null: none. */
  cancelOn: JsonLogicRule | null;
  /** How long an execution may run before it fails; null: no limit. */
  timeoutMs: number | null;
  /** Concurrency limits, rate limit, debounce, priority; null: none (flow-control.ts). */
  flow: FlowControl | null;
}

export class WorkflowCache {
  private readonly entries = new Map<string, Promise<PinnedWorkflow>>();
  /** Versions loaded so far, for a look without waiting (peek); versions never change, so never stale. */
  private readonly settled = new Map<string, PinnedWorkflow>();

  constructor(
    private readonly sql: SqlDb,
    private readonly registry: HandlerRegistry,
    private readonly maxEntries = 1000,
  ) {}

  get(workflowId: string, version: number): Promise<PinnedWorkflow> {
    const key = `${workflowId}@${version}`;
    let entry = this.entries.get(key);
    if (entry) {
      // Refresh recency: Map iteration order is insertion order.
      this.entries.delete(key);
      this.entries.set(key, entry);
      return entry;
    }
    entry = this.load(workflowId, version);
    entry.catch(() => this.entries.delete(key));
    this.entries.set(key, entry);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) {
        this.entries.delete(oldest);
        this.settled.delete(oldest);
      }
    }
    return entry;
  }

  /** The version if it is loaded already (no waiting, no statement); undefined otherwise. */
  peek(workflowId: string, version: number): PinnedWorkflow | undefined {
    return this.settled.get(`${workflowId}@${version}`);
  }

  private async load(workflowId: string, version: number): Promise<PinnedWorkflow> {
    const row = await readWorkflowVersion(this.sql, workflowId, version);
    const graph = row.graph as unknown as WorkflowGraph;
    const cancelOn = isEmptyRule(row.cancelOn as JsonLogicRule) ? null : (row.cancelOn as JsonLogicRule);
    const index = indexGraph(graph, this.registry);
    const flow = storedFlowControl(row.flowControl);
    const pinned = { workflowId, version, name: row.name, graph, index, cancelOn, timeoutMs: row.timeoutMs, flow };
    this.settled.set(`${workflowId}@${version}`, pinned);
    return pinned;
  }
}

/** Adjacency including the node ids handlers name in their data (a branch's `next`). */
export function indexGraph(graph: WorkflowGraph, registry: HandlerRegistry): GraphIndex {
  return new GraphIndex(graph, (node) => {
    const handler = registry.get(node.type);
    if (!handler?.references) return [];
    const parsed = handler.dataSchema.safeParse(node.data ?? {});
    return parsed.success ? handler.references(parsed.data).map((ref) => ref.nodeId) : [];
  });
}
