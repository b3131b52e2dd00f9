/**
 * Trigger matching: how long the engine's trigger index takes to match one
 * event against 100, 1,000 and 10,000 active workflows. Pure computation, run
 * in the bench process on the engine's own TriggerIndex. Each workflow's
 * trigger has the shape of Lead routing's (a source equality and a score
 * threshold), over 50 different sources.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { TriggerIndex } from "../src/engine/triggers.js";
import { type BenchContext, repeat } from "./context.js";

const EVENTS = 500;
const MIN_MS = 300;

export async function measureTriggers(ctx: BenchContext): Promise<void> {
  for (const count of [100, 1_000, 10_000]) {
    const index = new TriggerIndex();
    index.reset(
      Array.from({ length: count }, (_, i) => ({
        workflowId: `w${i}`,
        version: 1,
        trigger: {
          and: [{ "==": [{ var: "lead.source" }, `source-${i % 50}`] }, { ">": [{ var: "lead.score" }, i % 100] }],
        },
      })),
    );
    const events = Array.from({ length: EVENTS }, (_, e) => ({ lead: { source: `source-${e % 50}`, score: 90 } }));
    for (const event of events) index.match(event); // warm-up: compile, JIT
    const runs = await repeat(ctx, `trigger matching, ${count} workflows`, async () => {
      // At least MIN_MS of matching, so a fast case is timed over many events, not a few.
      let matched = 0;
      const started = performance.now();
      while (matched < EVENTS || performance.now() - started < MIN_MS) {
        for (const event of events) index.match(event);
        matched += events.length;
      }
      return (performance.now() - started) / matched;
    });
    ctx.report.value(
      "Trigger matching (bench process, the engine's TriggerIndex)",
      `one event against ${count.toLocaleString("en-US")} active workflows`,
      "ms/event",
      runs,
    );
  }
  await measureRuleBudget(ctx);
}

/**
 * Rules that run out of their budget (src/engine/rule-budget.ts), the shapes
 * an attacker tried: lists that double, texts that double, loops that search
 * large lists, large lists turned into text. What one costs, and the longest
 * the event loop is held while an event is matched against many of them
 * (matching gives the loop a turn every few milliseconds; the target is that no
 * request holds it 100 ms).
 */
const zeros = (count: number) => Array.from({ length: count }, () => 0);
const HOSTILE_TRIGGERS: { name: string; trigger: unknown }[] = [
  {
    name: "list doubling",
    trigger: { "!!": [{ reduce: [zeros(26), { merge: [{ var: "accumulator" }, { var: "accumulator" }] }, [0]] }] },
  },
  {
    name: "text doubling",
    trigger: { reduce: [zeros(40), { cat: [{ var: "accumulator" }, { var: "accumulator" }] }, "x"] },
  },
  {
    name: "search per item",
    trigger: { some: [{ var: "items" }, { in: [{ var: "" }, zeros(1_000).map((_, i) => -1 - i)] }] },
  },
  {
    name: "arithmetic per item",
    trigger: { some: [{ var: "items" }, { "<": [{ "+": [{ var: "" }, { "*": [{ var: "" }, 2] }] }, -1] }] },
  },
  {
    name: "list as text per item",
    trigger: {
      reduce: [
        zeros(1_000),
        { if: [{ "==": [{ var: "accumulator" }, "x"] }, 0, { var: "accumulator" }] },
        { var: "floats" },
      ],
    },
  },
];
const HOSTILE_EVENT = {
  items: Array.from({ length: 20_000 }, (_, i) => i),
  floats: Array.from({ length: 20_000 }, (_, i) => i + 0.5),
};

async function measureRuleBudget(ctx: BenchContext): Promise<void> {
  const section = "Rules out of budget (bench process, the engine's TriggerIndex)";
  for (const { name, trigger } of HOSTILE_TRIGGERS) {
    const index = new TriggerIndex();
    index.reset([{ workflowId: name, version: 1, trigger }]);
    const runs = await repeat(ctx, `rule budget, ${name}`, async () => {
      const started = performance.now();
      const { errors } = index.match(HOSTILE_EVENT);
      if (errors[0]?.reason !== "budget") throw new Error(`${name}: expected to run out of budget`);
      return performance.now() - started;
    });
    ctx.report.value(section, `one evaluation running out: ${name}`, "ms", runs);
  }
  const count = 50;
  const index = new TriggerIndex();
  index.reset(
    Array.from({ length: count }, (_, i) => ({
      workflowId: `hostile-${i}`,
      version: 1,
      trigger: (HOSTILE_TRIGGERS[i % HOSTILE_TRIGGERS.length] as { trigger: unknown }).trigger,
    })),
  );
  const runs = await repeat(ctx, `rule budget, ${count} hostile triggers`, async () => {
    const stalls = monitorEventLoopDelay({ resolution: 1 });
    stalls.enable();
    const { errors } = await index.matchInSlices(HOSTILE_EVENT);
    stalls.disable();
    if (errors.length !== count) throw new Error(`expected ${count} triggers out of budget, got ${errors.length}`);
    return stalls.max / 1e6;
  });
  ctx.report.value(section, `longest event-loop stall, one event against ${count} of them`, "ms", runs);
}
