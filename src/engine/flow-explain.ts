/**
 * What an event would meet of a workflow's flow control, now: each
 * concurrency limit and the rate limit with the key the event renders and
 * how much of it is in use, and the debounce window it would join. A dry
 * run: nothing is written.
 */
import type { SqlDb } from "../db/sql.js";
import { renderFlowKeys, renderKey } from "./flow-control.js";
import { slotsInUse, startsInPeriod } from "./store/capacity-waits.js";
import type { PinnedWorkflow } from "./workflow-cache.js";

export interface LimitMet {
  workflowId: string;
  kind: "concurrency" | "rate_limit" | "debounce";
  limit: number | null;
  key: string | null;
  inUse: number | null;
  /** Full now: the event's execution would wait (queue, throttle) or be refused (its strategy or mode). */
  full: boolean;
  /** What happens when full: the concurrency strategy, the rate limit mode; "window" for debounce. */
  whenFull: string;
}

export async function explainLimits(sql: SqlDb, workflow: PinnedWorkflow, payload: unknown): Promise<LimitMet[]> {
  const flow = workflow.flow;
  if (!flow) return [];
  const { workflowId } = workflow;
  const context = { payload, steps: {}, execution: { id: "" }, workflow: { id: workflowId, name: workflow.name } };
  if (flow.debounce) {
    const key = renderKey(flow.debounce.key, context);
    return [{ workflowId, kind: "debounce", limit: null, key, inUse: null, full: false, whenFull: "window" }];
  }
  const keys = renderFlowKeys(flow, context);
  const met: LimitMet[] = [];
  for (const [entry, limit] of flow.concurrency.entries()) {
    const key = keys.concurrencyKeys[entry] ?? "";
    const inUse = await slotsInUse(sql, workflowId, entry, key);
    const shown = limit.key === null ? null : key;
    met.push({
      workflowId,
      kind: "concurrency",
      limit: limit.limit,
      key: shown,
      inUse,
      full: inUse >= limit.limit,
      whenFull: limit.strategy,
    });
  }
  const rate = flow.rateLimit;
  if (rate) {
    const key = keys.rateKey ?? "";
    const inUse = await startsInPeriod(sql, workflowId, key, rate.periodMs);
    const shown = rate.key === null ? null : key;
    met.push({
      workflowId,
      kind: "rate_limit",
      limit: rate.limit,
      key: shown,
      inUse,
      full: inUse >= rate.limit,
      whenFull: rate.mode,
    });
  }
  return met;
}
