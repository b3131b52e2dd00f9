/**
 * Properties of trigger matching (src/engine/triggers.ts): the TriggerIndex,
 * which files triggers by a required `field == "text"` to skip most of them,
 * matches exactly what evaluating every trigger with the JSONLogic wrapper
 * matches, for any triggers, any events and any sequence of changes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluate, isEmptyRule, isTruthy } from "../../../src/engine/json-logic.js";
import { equalityKey } from "../../../src/engine/trigger-keys.js";
import { TriggerIndex } from "../../../src/engine/triggers.js";
import { event, trigger } from "./arbitraries.js";

/** The reference: evaluate every non-empty trigger; one that throws does not match. */
function bruteForce(triggers: ReadonlyMap<string, unknown>, facts: unknown): { matched: string[]; throwing: string[] } {
  const matched: string[] = [];
  const throwing: string[] = [];
  for (const [id, rule] of triggers) {
    if (isEmptyRule(rule)) continue;
    try {
      if (isTruthy(evaluate(rule, facts))) matched.push(id);
    } catch {
      throwing.push(id);
    }
  }
  return { matched: matched.sort(), throwing };
}

function expectSameAsBruteForce(index: TriggerIndex, triggers: ReadonlyMap<string, unknown>, facts: unknown): void {
  const result = index.match(facts);
  const reference = bruteForce(triggers, facts);
  expect([...result.matched].sort()).toEqual(reference.matched);
  // The index may skip a throwing trigger (its filing says it cannot match), never invent one.
  for (const { workflowId } of result.errors) expect(reference.throwing).toContain(workflowId);
  expect(index.size).toBe([...triggers.values()].filter((rule) => !isEmptyRule(rule)).length);
}

/**
 * An event holding, at the path a filed trigger names, its text or something
 * loosely equal to it or almost it: the cases where filing could go wrong.
 */
function aimAt(rules: readonly unknown[], which: number, variant: number): unknown[] {
  const keys = rules.flatMap((rule) => equalityKey(rule) ?? []);
  const target = keys[which % Math.max(keys.length, 1)];
  if (!target) return [];
  const variants: unknown[] = [target.value, [target.value], `${target.value} `, target.value.toUpperCase(), null];
  if (target.value.trim() !== "" && !Number.isNaN(Number(target.value))) variants.push(Number(target.value));
  if (target.value === "true") variants.push(true);
  const value = variants[variant % variants.length];
  const root: Record<string, unknown> = {};
  let at = root;
  const parts = target.path.split(".");
  for (const part of parts.slice(0, -1)) {
    at[part] = {};
    at = at[part] as Record<string, unknown>;
  }
  at[parts.at(-1) as string] = value;
  return [root];
}

describe("TriggerIndex: properties", () => {
  it("matches what evaluating every trigger matches, for random triggers and events", () => {
    fc.assert(
      fc.property(
        fc.array(trigger, { maxLength: 12 }),
        fc.array(event, { minLength: 1, maxLength: 5 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 4 }),
        (rules, events, aims) => {
          const triggers = new Map(rules.map((rule, i) => [`w${i}`, rule]));
          const index = new TriggerIndex();
          index.reset([...triggers].map(([workflowId, rule]) => ({ workflowId, version: 1, trigger: rule })));
          // Random events rarely hold the exact text a filed trigger wants: aim some at them.
          const aimed = aims.flatMap(([which, variant]) => aimAt(rules, which, variant));
          for (const facts of [...events, ...aimed]) expectSameAsBruteForce(index, triggers, facts);
        },
      ),
      { numRuns: 250 },
    );
  });

  it("stays exact through any sequence of upserts, version changes, removals and resets", () => {
    const workflowId = fc.constantFrom("a", "b", "c", "d", "e");
    const command = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          kind: fc.constant("upsert" as const),
          workflowId,
          version: fc.integer({ min: 1, max: 3 }),
          trigger,
        }),
      },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant("remove" as const), workflowId }) },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant("reset" as const),
          triggers: fc.dictionary(workflowId, trigger, { maxKeys: 3 }),
        }),
      },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant("match" as const), event }) },
    );
    fc.assert(
      fc.property(fc.array(command, { maxLength: 25 }), (commands) => {
        const index = new TriggerIndex();
        // The model: the workflows that can match (non-empty triggers), with their version.
        const model = new Map<string, { version: number; rule: unknown }>();
        const current = () => new Map([...model].map(([id, { rule }]) => [id, rule]));
        const upsert = (id: string, version: number, rule: unknown) => {
          // A version is immutable: the same version again changes nothing.
          if (model.get(id)?.version === version) return;
          if (isEmptyRule(rule)) model.delete(id);
          else model.set(id, { version, rule });
        };
        for (const c of commands) {
          if (c.kind === "upsert") {
            index.upsert({ workflowId: c.workflowId, version: c.version, trigger: c.trigger });
            upsert(c.workflowId, c.version, c.trigger);
          } else if (c.kind === "remove") {
            index.remove(c.workflowId);
            model.delete(c.workflowId);
          } else if (c.kind === "reset") {
            const sources = Object.entries(c.triggers).map(([id, rule]) => ({
              workflowId: id,
              version: 1,
              trigger: rule,
            }));
            index.reset(sources);
            model.clear();
            for (const source of sources) upsert(source.workflowId, 1, source.trigger);
          } else {
            expectSameAsBruteForce(index, current(), c.event);
          }
        }
        expectSameAsBruteForce(index, current(), { lead: { source: "LinkedIn" } });
      }),
      { numRuns: 200 },
    );
  });
});
