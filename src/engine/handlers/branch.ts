import { z } from "zod";
import { evaluate, isTruthy } from "../json-logic.js";
import { RuleBudget } from "../rule-budget.js";
import { defineHandler, type NodeReference, type RuleReference } from "./types.js";

const caseSchema = z.looseObject({
  label: z.string().optional(),
  condition: z.unknown().optional().describe("JSONLogic rule over the event (plus $steps and $execution)"),
  next: z.string().min(1).optional().describe("Node to continue with when this case is chosen"),
  else: z.boolean().optional().describe("Chosen only when no other case matches"),
});

const dataSchema = z.looseObject({ cases: z.array(caseSchema).default([]) }).superRefine((data, ctx) => {
  const elseCases = data.cases.filter((c) => c.else === true);
  if (elseCases.length > 1) {
    ctx.addIssue({ code: "custom", path: ["cases"], message: "at most one case may be the else case" });
  }
  data.cases.forEach((c, index) => {
    if (c.else !== true && c.condition === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["cases", index, "condition"],
        message: "required unless the case is the else case",
      });
    }
  });
});

type BranchCase = z.infer<typeof caseSchema>;

/**
 * Chooses one path: the first case in order whose condition is truthy, else the
 * `else` case wherever it stands, else the node's own edges. Unchosen paths are
 * SKIPPED by the runner.
 */
export const branchHandler = defineHandler({
  type: "branch",
  description: "Chooses the first case whose JSONLogic condition holds (else the else case, else the node's edges).",
  dataSchema,
  templatedKeys: [],
  runsInMemory: true,
  references(data) {
    return data.cases.flatMap((c, index): NodeReference[] =>
      c.next === undefined ? [] : [{ path: `cases[${index}].next`, nodeId: c.next }],
    );
  },
  rules(data) {
    return data.cases.flatMap((c, index): RuleReference[] =>
      c.condition === undefined ? [] : [{ path: `cases[${index}].condition`, rule: c.condition }],
    );
  },
  async execute({ data, execution, steps, edgeTargets }) {
    // Conditions see the event's fields at the top level, as the original engine did.
    const facts = { ...(execution.payload as object), $steps: steps, $execution: { id: execution.id } };
    // One budget for the whole decision: a branch of many cases does no more work than one rule may.
    const budget = new RuleBudget();
    let chosen: BranchCase | undefined;
    for (const [index, c] of data.cases.entries()) {
      if (c.else === true) continue;
      try {
        if (isTruthy(evaluate(c.condition, facts, budget))) {
          chosen = c;
          break;
        }
      } catch (error) {
        // The same rule on the same data fails the same way: retrying cannot help.
        const message = `branch condition cases[${index}].condition failed: ${(error as Error).message}`;
        return { kind: "fail", error: message, retryable: false };
      }
    }
    chosen ??= data.cases.find((c) => c.else === true);
    const next = chosen?.next !== undefined ? [chosen.next] : edgeTargets;
    const output = { matched: chosen?.label ?? null, next: chosen?.next ?? null, followed: next };
    return { kind: "done", output, next };
  },
});
