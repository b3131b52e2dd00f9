/**
 * Which finishes may be written in one statement (store/finish-step.ts): only
 * those whose plan cannot depend on any other step of the execution. Each case
 * is checked against planSuccessors given the full state, which the locked
 * transaction would use.
 */
import { describe, expect, it } from "vitest";
import { independentPlan, planSuccessors } from "../../src/engine/plan-successors.js";
import type { PinnedWorkflow } from "../../src/engine/workflow-cache.js";
import { pinnedNotifications } from "../support/graphs.js";

function workflow(edges: [string, string][]): PinnedWorkflow {
  return pinnedNotifications([...new Set(edges.flat())], edges);
}

const plan = (w: PinnedWorkflow, node: string, next: string[], max = 100) => independentPlan(w.index, node, next, max);

describe("independentPlan", () => {
  it("plans a chain's next node and a fan-out's targets", () => {
    const w = workflow([
      ["a", "b"],
      ["b", "c"],
      ["b", "d"],
    ]);
    expect(plan(w, "a", ["b"])).toEqual([{ nodeId: "b", status: "PENDING" }]);
    expect(plan(w, "b", ["c", "d"])).toEqual([
      { nodeId: "c", status: "PENDING" },
      { nodeId: "d", status: "PENDING" },
    ]);
  });

  it("plans a branch: the chosen node runs, the other path is skipped to its end", () => {
    const w = workflow([
      ["br", "yes"],
      ["br", "no"],
      ["no", "no2"],
    ]);
    const planned = plan(w, "br", ["yes"]);
    expect(planned).toEqual([
      { nodeId: "yes", status: "PENDING" },
      { nodeId: "no", status: "SKIPPED" },
      { nodeId: "no2", status: "SKIPPED" },
    ]);
    // What the locked transaction would plan with the whole execution in view.
    const states = new Map([
      ["br", { status: "SUCCEEDED" as const, next: ["yes"] }],
      ["other", { status: "SUCCEEDED" as const, next: [] }],
    ]);
    expect(planSuccessors(w.index, states, ["br"])).toEqual(planned);
  });

  it("leaves to the locked transaction whatever another step could change", () => {
    const join = workflow([
      ["a", "j"],
      ["b", "j"],
    ]);
    expect(plan(join, "a", ["j"])).toBeUndefined(); // a join waits for b
    const skipIntoJoin = workflow([
      ["br", "yes"],
      ["br", "no"],
      ["no", "j"],
      ["x", "j"],
    ]);
    expect(plan(skipIntoJoin, "br", ["yes"])).toBeUndefined(); // the skip reaches a join
    expect(plan(workflow([["a", "b"]]), "b", [])).toBeUndefined(); // the last step: the execution may end
    const noneChosen = workflow([
      ["br", "p"],
      ["br", "q"],
    ]);
    expect(plan(noneChosen, "br", [])).toBeUndefined(); // only skips: the execution may end
    expect(plan(workflow([["a", "b"]]), "a", ["b"], 1)).toBeUndefined(); // the step limit could be reached
  });
});
