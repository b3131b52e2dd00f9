/**
 * Firing one schedule from many places at once: the same instant's job run eight times
 * concurrently (two servers' saves, a local timer, the queue, the reconciler), then the timer
 * put back to instants already fired (a restored backup, a replayed timer). Every instant starts
 * exactly one execution: the Schedule row's lock orders the firings, and the firing row, unique
 * per (workflow, schedule id, instant), refuses a second.
 */
import { describe, expect, it } from "vitest";
import { scheduleJob } from "../../../src/engine/ports.js";
import { createWorkflow } from "../../../src/services/workflows.js";
import { useTestDatabase } from "../../support/database.js";
import { startTestEngine } from "../../support/engine.js";
import { linked, node } from "../../support/graphs.js";

const database = useTestDatabase();

describe("one schedule fired from many places at once", () => {
  it("starts each instant once, however many jobs fire it and wherever its timer is put back", async () => {
    const engine = await startTestEngine(database.url, { worker: false });
    try {
      const workflow = await createWorkflow(engine.services, {
        name: "raced",
        graph: linked(node("start", "start")),
        schedules: [{ id: "tick", cron: "* * * * * *" }],
      });
      const schedule = await engine.db.schedule.findFirstOrThrow({ where: { workflowId: workflow.id } });
      const instant = new Date(Math.floor(Date.now() / 1000) * 1000 - 5_000);
      const rewind = () => engine.db.schedule.update({ where: { id: schedule.id }, data: { nextFireAt: instant } });
      const fireAll = () =>
        Promise.all(Array.from({ length: 8 }, () => engine.runner.process(scheduleJob(schedule.id, instant))));

      await rewind();
      await fireAll();
      await rewind(); // the timer put back to instants already fired
      await fireAll();

      const firings = await engine.db.scheduleFiring.findMany({
        where: { workflowId: workflow.id },
        orderBy: { scheduledAt: "asc" },
      });
      const instants = firings.map((f) => f.scheduledAt.getTime());
      expect(instants[0]).toBe(instant.getTime());
      expect(instants).toEqual(instants.map((_, i) => instant.getTime() + i * 1000));
      const executions = await engine.db.execution.findMany({ where: { workflowId: workflow.id } });
      expect(executions.length).toBe(firings.length);
      expect(new Set(firings.map((f) => f.executionId))).toEqual(new Set(executions.map((e) => e.id)));
    } finally {
      await engine.stop();
    }
  });
});
