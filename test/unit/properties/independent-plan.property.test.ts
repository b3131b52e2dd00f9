/**
 * The single-statement finish (src/engine/store/finish-step.ts) plans
 * successors from the finished step alone. Whenever independentPlan agrees to
 * that, the locked transaction's planner, given every other step of the
 * execution in any state, must plan exactly the same rows.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { independentPlan, planSuccessors, type StepState } from "../../../src/engine/plan-successors.js";
import type { PinnedWorkflow } from "../../../src/engine/workflow-cache.js";
import type { StepStatus } from "../../../src/generated/prisma/enums.js";
import { pinnedNotifications } from "../../support/graphs.js";

const STATUSES: StepStatus[] = ["PENDING", "RUNNING", "WAITING", "SUCCEEDED", "FAILED", "SKIPPED", "CANCELLED"];

/** A random DAG on n0…n(size-1): edges only go from a lower to a higher index. */
const dag = fc.integer({ min: 2, max: 8 }).chain((size) =>
  fc
    .uniqueArray(
      fc.tuple(fc.nat(size - 1), fc.nat(size - 1)).filter(([a, b]) => a < b),
      { selector: ([a, b]) => `${a}-${b}`, maxLength: 14 },
    )
    .map((pairs) => ({ size, edges: pairs.map(([a, b]) => [`n${a}`, `n${b}`] as const) })),
);

function pinned(size: number, edges: readonly (readonly [string, string])[]): PinnedWorkflow {
  return pinnedNotifications(
    Array.from({ length: size }, (_, i) => `n${i}`),
    edges,
  );
}

describe("independentPlan", () => {
  it("plans what the locked transaction would, whatever the other steps' states", () => {
    let applied = 0;
    fc.assert(
      fc.property(
        dag,
        fc.nat(),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.array(
          fc.option(fc.tuple(fc.constantFrom(...STATUSES), fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }))),
          {
            minLength: 8,
            maxLength: 8,
          },
        ),
        ({ size, edges }, pick, flows, others) => {
          const workflow = pinned(size, edges);
          const finished = `n${pick % size}`;
          const outgoing = workflow.index.outgoing(finished);
          const next = outgoing.filter((_, i) => flows[i]);
          const plan = independentPlan(workflow.index, finished, next, 1000);
          if (!plan) return;
          applied++;
          const created = new Set(plan.map((p) => p.nodeId));
          const states = new Map<string, StepState>();
          others.forEach((state, i) => {
            const id = `n${i}`;
            if (i >= size || !state || id === finished || created.has(id)) return;
            const [status, chosen] = state;
            const ownNext = workflow.index.outgoing(id).filter((_, j) => chosen[j]);
            states.set(id, { status, next: status === "SUCCEEDED" ? ownNext : [] });
          });
          states.set(finished, { status: "SUCCEEDED", next });
          expect(planSuccessors(workflow.index, states, [finished])).toEqual(plan);
          expect(plan.some((p) => p.status === "PENDING")).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
    expect(applied).toBeGreaterThan(100); // the property was not vacuous
  });
});
