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
    expect(result.errors).toEqual([
      { workflowId: "bad", message: "Unrecognized operation frobnicate", reason: "error" },
    ]);
  });
});

describe("TriggerIndex filing by equality", () => {
  const sources = ["LinkedIn", "Email", "90", "Web"];
  const triggers: unknown[] = [
    ...sources.map((s) => ({ "==": [{ var: "lead.source" }, s] })),
    ...sources.map((s) => ({ and: [{ "==": [s, { var: "lead.source" }] }, { ">": [{ var: "lead.score" }, 50] }] })),
    { "===": [{ var: "lead.source" }, "LinkedIn"] },
    { "==": [{ var: ["lead.source", "LinkedIn"] }, "LinkedIn"] }, // a default: cannot be filed
    { or: [{ "==": [{ var: "lead.source" }, "Email"] }, { "==": [{ var: "kind" }, "x"] }] },
    { ">": [{ var: "lead.score" }, 75] },
  ];
  const events: unknown[] = [
    { lead: { source: "LinkedIn", score: 90 } },
    { lead: { source: "Email", score: 10 } },
    { lead: { source: 90, score: 90 } }, // 90 == "90" in JSONLogic
    { lead: { source: ["Web"], score: 60 } }, // ["Web"] == "Web" too
    { lead: { score: 99 } },
    { kind: "x" },
    {},
  ];

  it("matches exactly what evaluating every trigger matches", () => {
    const index = new TriggerIndex();
    index.reset(triggers.map((trigger, i) => ({ workflowId: `w${i}`, version: 1, trigger })));
    const bruteForce = new TriggerIndex();
    for (const event of events) {
      const expected = triggers.flatMap((trigger, i) => {
        const one = new TriggerIndex();
        one.upsert({ workflowId: `w${i}`, version: 1, trigger });
        return one.match(event).matched;
      });
      expect(index.match(event).matched.sort(), JSON.stringify(event)).toEqual(expected.sort());
    }
    expect(bruteForce.size).toBe(0);
  });

  it("keeps the filing right when triggers change or go away", () => {
    const index = new TriggerIndex();
    index.upsert({ workflowId: "a", version: 1, trigger: { "==": [{ var: "k" }, "one"] } });
    index.upsert({ workflowId: "a", version: 2, trigger: { "==": [{ var: "k" }, "two"] } });
    expect(index.match({ k: "one" }).matched).toEqual([]);
    expect(index.match({ k: "two" }).matched).toEqual(["a"]);
    index.remove("a");
    expect(index.match({ k: "two" }).matched).toEqual([]);
    expect(index.size).toBe(0);
  });
});
