/**
 * Trigger matching: which active workflows does an event start? Each trigger
 * is compiled once per workflow version and cached.
 */
import { evaluate, isEmptyRule, isTruthy, type JsonLogicRule } from "./json-logic.js";
import { type EqualityKey, equalityKey } from "./trigger-keys.js";

export interface TriggerSource {
  workflowId: string;
  version: number;
  trigger: JsonLogicRule;
}

type Predicate = (event: unknown) => boolean;

interface CompiledTrigger {
  version: number;
  predicate: Predicate;
  /** Order of arrival (reset keeps the order it was given): matches are reported in this order. */
  rank: number;
}

export interface TriggerMatch {
  /** Matching workflow ids, in the order the workflows were added (reset: the order given). */
  matched: string[];
  /** The version of each matching workflow whose trigger matched, same order. */
  versions: number[];
  /** Workflows whose rule threw on this event (treated as not matching). */
  errors: { workflowId: string; message: string }[];
}

export function compileTrigger(trigger: JsonLogicRule): Predicate | undefined {
  // An empty trigger never matches: such workflows start only by startExecution.
  if (isEmptyRule(trigger)) return undefined;
  return (event) => isTruthy(evaluate(trigger, event));
}

/**
 * Most triggers require one field to equal one text (`lead.source == "LinkedIn"`).
 * Those are filed by (path, text), so an event is checked only against the
 * triggers its own values can satisfy, plus the few that cannot be filed.
 */
export class TriggerIndex {
  private readonly compiled = new Map<string, CompiledTrigger & { key?: EqualityKey }>();
  /** path → text → workflow ids */
  private readonly byEquality = new Map<string, Map<string, Set<string>>>();
  private readonly unfiled = new Set<string>();
  private nextRank = 0;

  /** Replaces the whole set (e.g. after loading active workflows from the database). */
  reset(sources: readonly TriggerSource[]): void {
    this.compiled.clear();
    this.byEquality.clear();
    this.unfiled.clear();
    for (const source of sources) this.upsert(source);
  }

  /** Adds or refreshes one workflow; recompiles only when its version changed. */
  upsert(source: TriggerSource): void {
    const current = this.compiled.get(source.workflowId);
    if (current && current.version === source.version) return;
    this.remove(source.workflowId);
    const predicate = compileTrigger(source.trigger);
    if (!predicate) return;
    const key = equalityKey(source.trigger);
    this.compiled.set(source.workflowId, { version: source.version, predicate, key, rank: this.nextRank++ });
    if (!key) {
      this.unfiled.add(source.workflowId);
      return;
    }
    const byValue = this.byEquality.get(key.path) ?? new Map<string, Set<string>>();
    this.byEquality.set(key.path, byValue);
    const ids = byValue.get(key.value) ?? new Set<string>();
    byValue.set(key.value, ids);
    ids.add(source.workflowId);
  }

  remove(workflowId: string): void {
    const entry = this.compiled.get(workflowId);
    if (!entry) return;
    this.compiled.delete(workflowId);
    this.unfiled.delete(workflowId);
    if (entry.key) {
      const byValue = this.byEquality.get(entry.key.path);
      const ids = byValue?.get(entry.key.value);
      ids?.delete(workflowId);
      if (ids?.size === 0) byValue?.delete(entry.key.value);
      if (byValue?.size === 0) this.byEquality.delete(entry.key.path);
    }
  }

  get size(): number {
    return this.compiled.size;
  }

  match(event: unknown): TriggerMatch {
    const errors: TriggerMatch["errors"] = [];
    const hits: { workflowId: string; version: number; rank: number }[] = [];
    const check = (workflowId: string) => {
      const entry = this.compiled.get(workflowId);
      if (!entry) return;
      try {
        if (entry.predicate(event)) hits.push({ workflowId, version: entry.version, rank: entry.rank });
      } catch (error) {
        errors.push({ workflowId, message: (error as Error).message });
      }
    };
    for (const [path, byValue] of this.byEquality) {
      const value = evaluate({ var: path }, event);
      if (typeof value === "string") {
        for (const id of byValue.get(value) ?? []) check(id);
      } else if (value !== null && value !== undefined) {
        // A number, boolean or object can loosely equal a text ("90" == 90): check them all.
        for (const ids of byValue.values()) for (const id of ids) check(id);
      }
      // A missing field (null) equals no text: none of these can match.
    }
    for (const id of this.unfiled) check(id);
    hits.sort((a, b) => a.rank - b.rank);
    return { matched: hits.map((h) => h.workflowId), versions: hits.map((h) => h.version), errors };
  }
}
