import { z } from "zod";
import { evaluate, isPlainObject } from "../json-logic.js";
import { RuleBudget } from "../rule-budget.js";
import { defineHandler, type RuleReference } from "./types.js";

/** A value computed by a JSONLogic rule instead of a template: `{"logic": <rule>}`. */
function logicOf(value: unknown): { logic: unknown } | undefined {
  return isPlainObject(value) && Object.keys(value).length === 1 && "logic" in value
    ? (value as { logic: unknown })
    : undefined;
}

const dataSchema = z.looseObject({
  set: z
    .record(z.string().min(1), z.unknown())
    .refine((set) => Object.keys(set).length > 0, { message: "names at least one value" })
    .describe(
      'The values to output, by name: each a template ("{{steps.fetch.output.body.items}}"), any JSON, ' +
        'or {"logic": <JSONLogic rule>} over the event (plus $steps and $execution)',
    ),
});

/**
 * Reshapes data between two steps: its output is an object of the values it names, each
 * rendered from a template (strings are rendered before it runs, keeping a single template's
 * type) or computed by a JSONLogic rule. Touches nothing outside: it runs in memory, recorded
 * with the step before it.
 */
export const transformHandler = defineHandler({
  type: "transform",
  description: "Outputs an object of named values: templates, JSON, or JSONLogic rules ({logic: ...}).",
  dataSchema,
  runsInMemory: true,
  rules(data) {
    return Object.entries(data.set).flatMap(([name, value]): RuleReference[] => {
      const computed = logicOf(value);
      return computed ? [{ path: `set.${name}.logic`, rule: computed.logic }] : [];
    });
  },
  async execute({ data, execution, steps }) {
    // Rules see the event's fields at the top level, as branch conditions do.
    const facts = { ...(execution.payload as object), $steps: steps, $execution: { id: execution.id } };
    const budget = new RuleBudget();
    const output: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(data.set)) {
      const computed = logicOf(value);
      if (!computed) {
        output[name] = value;
        continue;
      }
      try {
        output[name] = evaluate(computed.logic, facts, budget);
      } catch (error) {
        // The same rule on the same data fails the same way: retrying cannot help.
        return { kind: "fail", error: `set.${name}.logic failed: ${(error as Error).message}`, retryable: false };
      }
    }
    return { kind: "done", output };
  },
});
