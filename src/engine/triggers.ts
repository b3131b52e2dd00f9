/**
 * Trigger matching: which active workflows does an event start? Each trigger
 * is compiled once per workflow version and cached, so matching an event is a
 * loop over ready-made predicates.
 */
import { evaluate, isEmptyRule, isTruthy, type JsonLogicRule } from "./json-logic.js";

export interface TriggerSource {
  workflowId: string;
  version: number;
  trigger: JsonLogicRule;
}

type Predicate = (event: unknown) => boolean;

interface CompiledTrigger {
  version: number;
  predicate: Predicate;
}

export interface TriggerMatch {
  matched: string[];
  /** Workflows whose rule threw on this event (treated as not matching). */
  errors: { workflowId: string; message: string }[];
}

export function compileTrigger(trigger: JsonLogicRule): Predicate | undefined {
  // An empty trigger never matches: such workflows start only by startExecution.
  if (isEmptyRule(trigger)) return undefined;
  return (event) => isTruthy(evaluate(trigger, event));
}

export class TriggerIndex {
  private readonly compiled = new Map<string, CompiledTrigger>();

  /** Replaces the whole set (e.g. after loading active workflows from the database). */
  reset(sources: readonly TriggerSource[]): void {
    this.compiled.clear();
    for (const source of sources) this.upsert(source);
  }

  /** Adds or refreshes one workflow; recompiles only when its version changed. */
  upsert(source: TriggerSource): void {
    const current = this.compiled.get(source.workflowId);
    if (current && current.version === source.version) return;
    const predicate = compileTrigger(source.trigger);
    if (predicate) this.compiled.set(source.workflowId, { version: source.version, predicate });
    else this.compiled.delete(source.workflowId);
  }

  remove(workflowId: string): void {
    this.compiled.delete(workflowId);
  }

  get size(): number {
    return this.compiled.size;
  }

  match(event: unknown): TriggerMatch {
    const result: TriggerMatch = { matched: [], errors: [] };
    for (const [workflowId, { predicate }] of this.compiled) {
      try {
        if (predicate(event)) result.matched.push(workflowId);
      } catch (error) {
        result.errors.push({ workflowId, message: (error as Error).message });
      }
    }
    return result;
  }
}
