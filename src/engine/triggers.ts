/**
 * Trigger matching: which active workflows does an event start? Each trigger
 * is compiled once per workflow version and cached.
 */
import { evaluate, isEmptyRule, isTruthy, type JsonLogicRule } from "./json-logic.js";
import { RuleBudgetExceededError } from "./rule-budget.js";
import { type EqualityKey, equalityKey } from "./trigger-keys.js";

export interface TriggerSource {
  workflowId: string;
  version: number;
  trigger: JsonLogicRule;
}

type Predicate = (event: unknown) => boolean;

interface CompiledTrigger {
  workflowId: string;
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
  /** Workflows whose rule failed on this event (treated as not matching). */
  errors: TriggerFailure[];
}

export interface TriggerFailure {
  workflowId: string;
  message: string;
  /** budget: the rule needed more work than one evaluation may do (rule-budget.ts); error: it threw. */
  reason: "budget" | "error";
}

/**
 * How long matching may keep the event loop before it lets others run
 * (matchInSlices). Each rule evaluation is bounded by its budget; this bounds
 * how many of them run back to back.
 */
export const MATCH_SLICE_MS = 10;

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
    this.compiled.set(source.workflowId, {
      workflowId: source.workflowId,
      version: source.version,
      predicate,
      key,
      rank: this.nextRank++,
    });
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

  /** Matches an event, in one go. */
  match(event: unknown): TriggerMatch {
    const matching = new Matching(event, this.candidates(event));
    while (matching.checkNext());
    return matching.result();
  }

  /**
   * Matches an event like `match`, but gives the event loop a turn whenever
   * matching has held it for MATCH_SLICE_MS, so many slow triggers delay this
   * event and not every other request. The candidates are taken up front: a
   * reload of the index meanwhile does not change what this match sees.
   */
  async matchInSlices(event: unknown, sliceMs = MATCH_SLICE_MS): Promise<TriggerMatch> {
    const matching = new Matching(event, this.candidates(event));
    let sliceStarted = performance.now();
    while (matching.checkNext()) {
      if (performance.now() - sliceStarted < sliceMs) continue;
      await new Promise((resolve) => setImmediate(resolve));
      sliceStarted = performance.now();
    }
    return matching.result();
  }

  /** The triggers an event can satisfy: those filed under one of its values, plus the unfiled. */
  private candidates(event: unknown): CompiledTrigger[] {
    const ids: string[] = [];
    for (const [path, byValue] of this.byEquality) {
      const value = evaluate({ var: path }, event);
      if (typeof value === "string") {
        for (const id of byValue.get(value) ?? []) ids.push(id);
      } else if (value !== null && value !== undefined) {
        // A number, boolean or object can loosely equal a text ("90" == 90): check them all.
        for (const byText of byValue.values()) for (const id of byText) ids.push(id);
      }
      // A missing field (null) equals no text: none of these can match.
    }
    for (const id of this.unfiled) ids.push(id);
    return ids.map((id) => this.compiled.get(id) as CompiledTrigger);
  }
}

/** One event's matching, one candidate at a time. */
class Matching {
  private readonly hits: CompiledTrigger[] = [];
  private readonly errors: TriggerFailure[] = [];
  private next = 0;

  constructor(
    private readonly event: unknown,
    private readonly candidates: readonly CompiledTrigger[],
  ) {}

  /** Checks the next candidate; false when none was left. */
  checkNext(): boolean {
    const candidate = this.candidates[this.next++];
    if (!candidate) return false;
    try {
      if (candidate.predicate(this.event)) this.hits.push(candidate);
    } catch (error) {
      this.errors.push({
        workflowId: candidate.workflowId,
        message: (error as Error).message,
        reason: error instanceof RuleBudgetExceededError ? "budget" : "error",
      });
    }
    return true;
  }

  result(): TriggerMatch {
    const hits = [...this.hits].sort((a, b) => a.rank - b.rank);
    return { matched: hits.map((h) => h.workflowId), versions: hits.map((h) => h.version), errors: this.errors };
  }
}
