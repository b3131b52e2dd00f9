/**
 * Trigger matching: how long the engine's trigger index takes to match one
 * event against 100, 1,000 and 10,000 active workflows. Pure computation, run
 * in the bench process on the engine's own TriggerIndex. Each workflow's
 * trigger has the shape of Lead routing's (a source equality and a score
 * threshold), over 50 different sources.
 */
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
}
