import { describe, expect, it } from "vitest";
import { TriggerIndex } from "../../src/engine/triggers.js";

const leadTrigger = { and: [{ "==": [{ var: "lead.source" }, "LinkedIn"] }, { ">": [{ var: "lead.score" }, 75] }] };
const hotTrigger = { ">": [{ var: "temp" }, 30] };

describe("TriggerIndex", () => {
  it("returns every workflow whose trigger matches", () => {
    const index = new TriggerIndex();
    index.reset([
      { workflowId: "lead", version: 1, trigger: leadTrigger },
      { workflowId: "lead-copy", version: 1, trigger: leadTrigger },
      { workflowId: "hot", version: 1, trigger: hotTrigger },
    ]);
    expect(index.match({ lead: { source: "LinkedIn", score: 90, title: "CEO" } }).matched.sort()).toEqual([
      "lead",
      "lead-copy",
    ]);
    expect(index.match({ temp: 35 }).matched).toEqual(["hot"]);
    expect(index.match({ temp: 20 }).matched).toEqual([]);
  });

  it("never matches an empty trigger", () => {
    const index = new TriggerIndex();
    index.reset([
      { workflowId: "a", version: 1, trigger: {} },
      { workflowId: "b", version: 1, trigger: null },
    ]);
    expect(index.size).toBe(0);
    expect(index.match({ anything: true }).matched).toEqual([]);
  });

  it("recompiles a workflow when its version changes and forgets removed ones", () => {
    const index = new TriggerIndex();
    index.upsert({ workflowId: "w", version: 1, trigger: hotTrigger });
    expect(index.match({ temp: 31 }).matched).toEqual(["w"]);
    index.upsert({ workflowId: "w", version: 2, trigger: { "<": [{ var: "temp" }, 0] } });
    expect(index.match({ temp: 31 }).matched).toEqual([]);
    expect(index.match({ temp: -5 }).matched).toEqual(["w"]);
    index.upsert({ workflowId: "w", version: 3, trigger: {} });
    expect(index.size).toBe(0);
    index.upsert({ workflowId: "w", version: 4, trigger: hotTrigger });
    index.remove("w");
    expect(index.match({ temp: 31 }).matched).toEqual([]);
  });

  it("reports a rule that throws on an event and keeps matching the others", () => {
    const index = new TriggerIndex();
    index.reset([
      { workflowId: "bad", version: 1, trigger: { frobnicate: [1] } },
      { workflowId: "hot", version: 1, trigger: hotTrigger },
    ]);
    const result = index.match({ temp: 40 });
    expect(result.matched).toEqual(["hot"]);
    expect(result.errors).toEqual([{ workflowId: "bad", message: "Unrecognized operation frobnicate" }]);
  });
});
