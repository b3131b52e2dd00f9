/**
 * Schedules in a real engine: an every-second cron fires once per instant, one-off runAt entries
 * in the past and the future, pause and resume, the overlap policies, and deletion.
 */
import { describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { pauseSchedule, resumeSchedule, triggerSchedule } from "../../src/services/schedules.js";
import { createWorkflow, deleteWorkflow, updateWorkflow } from "../../src/services/workflows.js";
import { waitForExecution, waitUntil } from "../support/engine.js";
import { useFlowHarness } from "../support/flow-harness.js";
import { linked, node, notify } from "../support/graphs.js";

const harness = useFlowHarness();
const services = () => harness.engine.services;
const db = () => harness.engine.db;

/** The executions a workflow's schedules started, oldest instant first. */
function firings(database: Db, workflowId: string) {
  return database.scheduleFiring.findMany({ where: { workflowId }, orderBy: { scheduledAt: "asc" } });
}

async function started(workflowId: string, atLeast: number, timeoutMs = 15_000) {
  await waitUntil(
    async () => (await db().execution.count({ where: { workflowId } })) >= atLeast,
    `${atLeast} executions of ${workflowId}`,
    timeoutMs,
  );
}

/** start → wait `ms` → done: an execution that is still running when the next second fires. */
const slow = (ms: number) => linked(node("start", "start"), node("wait", "delay", { ms }), notify("done"));

describe("cron schedules", () => {
  it("fires an every-second schedule once per instant with $schedule in the payload", async () => {
    const workflow = await createWorkflow(services(), {
      name: "every second",
      graph: linked(node("start", "start"), notify("tell", "{{payload.$schedule.scheduledAt}}")),
      schedules: [{ id: "tick", cron: "* * * * * *", payload: { region: "eu" } }],
    });
    await started(workflow.id, 4);
    await updateWorkflow(services(), workflow.id, { isActive: false });
    const rows = await firings(db(), workflow.id);
    const instants = rows.map((f) => f.scheduledAt.getTime());
    expect(new Set(instants).size).toBe(instants.length);
    for (const [i, at] of instants.entries()) {
      if (i > 0) expect(at - (instants[i - 1] as number)).toBe(1000);
      expect(at % 1000).toBe(0);
    }
    expect(rows.every((f) => f.status === "STARTED" && f.executionId)).toBe(true);
    const first = await waitForExecution(db(), rows[1]?.executionId as string);
    expect(first.status).toBe("SUCCEEDED");
    const payload = first.payload as { region: string; $schedule: Record<string, unknown> };
    expect(payload.region).toBe("eu");
    expect(payload.$schedule).toMatchObject({
      id: "tick",
      scheduledAt: rows[1]?.scheduledAt.toISOString(),
      previousAt: rows[0]?.scheduledAt.toISOString(),
      timezone: "UTC",
    });
    const upcoming = payload.$schedule.upcoming as string[];
    expect(upcoming.map((u) => Date.parse(u) - (rows[1]?.scheduledAt.getTime() as number))).toEqual([1000, 2000, 3000]);
    // Inactive: the timer stopped, nothing more fires.
    const schedule = await db().schedule.findFirstOrThrow({ where: { workflowId: workflow.id } });
    expect(schedule.nextFireAt).toBeNull();
    // The worker counted its firings and how late they were.
    const metrics = await harness.engine.metrics.registry.metrics();
    const startedCount = Number(/workflow_schedule_firings_total\{status="STARTED"\} (\d+)/.exec(metrics)?.[1]);
    expect(startedCount).toBeGreaterThanOrEqual(rows.length);
    expect(metrics).toMatch(/workflow_schedule_lateness_seconds_count \d+/);
  });

  it("pauses, resumes without catching up, and fires by hand", async () => {
    const workflow = await createWorkflow(services(), {
      name: "paused",
      graph: linked(node("start", "start"), notify("tell")),
      schedules: [{ id: "tick", cron: "* * * * * *" }],
    });
    await started(workflow.id, 1);
    const paused = await pauseSchedule(services(), workflow.id, "tick");
    expect(paused.paused).toBe(true);
    const before = await db().execution.count({ where: { workflowId: workflow.id } });
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    // At most one firing was in flight when it paused.
    expect(await db().execution.count({ where: { workflowId: workflow.id } })).toBeLessThanOrEqual(before + 1);
    const manual = await triggerSchedule(services(), workflow.id, "tick");
    expect(manual).toMatchObject({ status: "STARTED", manual: true });
    const pausedAt = new Date();
    await resumeSchedule(services(), workflow.id, "tick");
    const count = await db().execution.count({ where: { workflowId: workflow.id } });
    await started(workflow.id, count + 2);
    await deleteWorkflow(services(), workflow.id);
    // Deleted: nothing fires any more (at most the instant being fired as it was deleted).
    const atDelete = await db().execution.count({ where: { workflowId: workflow.id } });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await db().execution.count({ where: { workflowId: workflow.id } })).toBeLessThanOrEqual(atDelete + 1);
    const rows = await firings(db(), workflow.id);
    // Nothing fired for the seconds it was paused (except the manual one).
    const whilePaused = rows.filter((f) => !f.manual && f.scheduledAt > new Date(pausedAt.getTime() - 1500));
    expect(whilePaused.every((f) => f.scheduledAt >= new Date(pausedAt.getTime() - 1000))).toBe(true);
    const schedule = await db().schedule.findFirstOrThrow({ where: { workflowId: workflow.id } });
    expect(schedule.nextFireAt).toBeNull();
  });
});

describe("runAt", () => {
  it("fires a past instant at once and a future one on time, each once", async () => {
    const past = new Date(Date.now() - 3_600_000);
    const soon = new Date(Date.now() + 1_500);
    const workflow = await createWorkflow(services(), {
      name: "one-offs",
      graph: linked(node("start", "start"), notify("tell")),
      runAt: [
        { id: "late", at: past.toISOString(), payload: { n: 1 } },
        { at: soon.toISOString(), payload: { n: 2 } },
      ],
    });
    await started(workflow.id, 2);
    const rows = await firings(db(), workflow.id);
    expect(rows.map((f) => [f.scheduleKey, f.scheduledAt.toISOString(), f.status])).toEqual([
      ["late", past.toISOString(), "STARTED"],
      ["run-at-2", soon.toISOString(), "STARTED"],
    ]);
    const onTime = rows[1]?.firedAt.getTime() as number;
    expect(onTime).toBeGreaterThanOrEqual(soon.getTime());
    // Saving the same entries again fires nothing twice.
    await updateWorkflow(services(), workflow.id, { name: "one-offs again" });
    await updateWorkflow(services(), workflow.id, {
      runAt: [
        { id: "late", at: past.toISOString(), payload: { n: 1 } },
        { at: soon.toISOString(), payload: { n: 2 } },
      ],
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await db().execution.count({ where: { workflowId: workflow.id } })).toBe(2);
  });
});

describe("overlap", () => {
  it("skip records the instants while one runs; buffer_one runs one more after it; cancel_previous cancels it", async () => {
    const make = (overlap: string) =>
      createWorkflow(services(), {
        name: `overlap ${overlap}`,
        graph: slow(2_500),
        schedules: [{ id: "tick", cron: "* * * * * *", overlap }],
      });
    const [skip, buffer, cancel] = [await make("skip"), await make("buffer_one"), await make("cancel_previous")];
    await waitUntil(
      async () =>
        (await db().scheduleFiring.count({ where: { workflowId: { in: [skip.id, buffer.id, cancel.id] } } })) >= 18,
      "six instants of each",
    );
    for (const w of [skip, buffer, cancel]) await updateWorkflow(services(), w.id, { isActive: false });

    const skipped = await firings(db(), skip.id);
    expect(skipped[0]?.status).toBe("STARTED");
    expect(skipped.slice(1, 3).map((f) => f.status)).toEqual(["SKIPPED", "SKIPPED"]);
    expect(skipped[1]?.reason).toContain("overlap: skip");

    const buffered = await firings(db(), buffer.id);
    expect(buffered[0]?.status).toBe("STARTED");
    expect(buffered[1]?.status).toBe("STARTED"); // was BUFFERED, started when the first ended
    expect(buffered[2]?.status).toBe("SKIPPED"); // one was already buffered
    expect(buffered[2]?.reason).toContain("already buffered");
    // One at a time: each started only after the one before it ended.
    const runs = await Promise.all(
      buffered.filter((f) => f.executionId).map((f) => waitForExecution(db(), f.executionId as string)),
    );
    for (const [i, run] of runs.entries()) {
      if (i > 0) expect(run.createdAt.getTime()).toBeGreaterThanOrEqual(runs[i - 1]?.finishedAt?.getTime() as number);
    }

    const cancelling = await firings(db(), cancel.id);
    expect(cancelling.slice(0, 3).every((f) => f.status === "STARTED")).toBe(true);
    const firstCancelled = await waitForExecution(db(), cancelling[0]?.executionId as string);
    expect(firstCancelled.status).toBe("CANCELLED");
    expect(firstCancelled.error).toContain("overlap: cancel_previous");
  });
});
