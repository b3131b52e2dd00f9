/**
 * Schedules on real processes: two servers and two worker processes share one every-second
 * schedule, through a worker killed with SIGKILL and Redis losing every key; then an engine
 * that was stopped for ten minutes (its clock moved on) catches up what its window allows and
 * records the rest as missed. Each instant fires once, none is silently dropped.
 */
import { describe, expect, it } from "vitest";
import { scheduleJob } from "../../src/engine/ports.js";
import { triggerSchedule } from "../../src/services/schedules.js";
import { createWorkflow, updateWorkflow } from "../../src/services/workflows.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, testConfig, testEnv, waitForExecution, waitUntil } from "../support/engine.js";
import { linked, node, notify } from "../support/graphs.js";
import { flushRedis, spawnWorker, startRedisServer } from "../support/processes.js";

const database = useTestDatabase();
const graph = linked(node("start", "start"), notify("tell", "{{payload.$schedule.scheduledAt}}"));

describe("schedules across processes", () => {
  it("fires every second exactly once with two servers and two workers, through a SIGKILL and a flushed Redis", async () => {
    const redis = await startRedisServer();
    const env = testEnv(database.url, { REDIS_URL: redis.url });
    const config = testConfig(database.url, env);
    const [serverA, serverB] = [
      await startTestEngine(database.url, { worker: false, config }),
      await startTestEngine(database.url, { worker: false, config }),
    ];
    const workers = [spawnWorker(env), spawnWorker(env)];
    try {
      const workflow = await createWorkflow(serverA.services, {
        name: "every second",
        graph,
        schedules: [{ id: "tick", cron: "* * * * * *" }],
      });
      const count = () => serverA.db.scheduleFiring.count({ where: { workflowId: workflow.id } });
      await waitUntil(async () => (await count()) >= 3, "three instants", 20_000);
      // The other server saves the workflow again (its timer job is enqueued a second time) and fires it by hand
      // while the clock fires it too.
      await updateWorkflow(serverB.services, workflow.id, { description: "touched" });
      const manual = await triggerSchedule(serverB.services, workflow.id, "tick");
      expect(manual.status).toBe("STARTED");

      await workers[0]?.killHard();
      await flushRedis(redis.url);
      const before = await count();
      await waitUntil(async () => (await count()) >= before + 4, "four more instants after the crash", 30_000);
      await updateWorkflow(serverA.services, workflow.id, { isActive: false });

      const firings = await serverA.db.scheduleFiring.findMany({
        where: { workflowId: workflow.id, manual: false },
        orderBy: { scheduledAt: "asc" },
      });
      const instants = firings.map((f) => f.scheduledAt.getTime());
      // Every second from the first to the last, each once: none skipped by the crash, none twice.
      expect(instants).toEqual(instants.map((_, i) => (instants[0] as number) + i * 1000));
      expect(firings.every((f) => f.status === "STARTED" && f.executionId)).toBe(true);
      const executions = await serverA.db.execution.findMany({ where: { workflowId: workflow.id } });
      expect(executions.length).toBe(firings.length + 1); // and the manual one
      for (const e of executions) expect((await waitForExecution(serverA.db, e.id)).status).toBe("SUCCEEDED");
      const scheduled = executions.map(
        (e) => (e.payload as { $schedule: { scheduledAt: string } }).$schedule.scheduledAt,
      );
      expect(new Set(scheduled).size).toBe(executions.length);
    } finally {
      for (const worker of workers) await worker.killHard();
      await serverA.stop();
      await serverB.stop();
      await redis.stop();
    }
  });

  it("catches up what the window allows after ten minutes stopped, records the rest as missed, and never twice", async () => {
    // Saved ten minutes ago (by that engine's clock), and no engine has fired anything since.
    const tenMinutesAgo = () => new Date(Date.now() - 10 * 60_000);
    const stopped = await startTestEngine(database.url, { worker: false, clock: { now: tenMinutesAgo } });
    const workflow = await createWorkflow(stopped.services, {
      name: "minutely",
      graph,
      schedules: [
        { id: "window", cron: "* * * * *", catchupWindowMs: 150_000 },
        { id: "strict", cron: "* * * * *" },
      ],
      runAt: [{ id: "once", at: new Date(Date.now() - 5 * 60_000).toISOString() }],
    });
    const timers = await stopped.db.schedule.findMany({ where: { workflowId: workflow.id }, orderBy: { key: "asc" } });
    await stopped.stop();

    // Now an engine starts again: its reconciler finds the overdue timers in PostgreSQL.
    const engine = await startTestEngine(database.url);
    try {
      const firings = () =>
        engine.db.scheduleFiring.findMany({ where: { workflowId: workflow.id }, orderBy: { scheduledAt: "asc" } });
      await waitUntil(
        async () => (await engine.db.schedule.count({ where: { workflowId: workflow.id, lastFiredAt: null } })) === 0,
        "every entry to fire",
      );
      const rows = await firings();
      const of = (key: string) => rows.filter((f) => f.scheduleKey === key);
      const minute = 60_000;
      for (const [key, windowMinutes] of [
        ["window", [2, 3]], // 150 s: two or three minute marks, depending on where in the minute it restarted
        ["strict", [1, 2]], // no catch-up window: only what is under a minute late (60 s) still fires
      ] as const) {
        const [missed, ...fired] = of(key);
        const firstDue = timers.find((t) => t.key === key)?.nextFireAt?.getTime() as number;
        expect(missed).toMatchObject({ status: "MISSED", scheduledAt: new Date(firstDue) });
        expect(missed?.reason).toContain("passed while the engine was not firing");
        // What fired is every minute inside the window, oldest first; the MISSED row counts every one before it.
        const inWindow = fired.map((f) => f.scheduledAt.getTime());
        expect(fired.every((f) => f.status === "STARTED")).toBe(true);
        expect(windowMinutes).toContain(inWindow.length);
        expect(inWindow).toEqual(inWindow.map((_, i) => (inWindow[0] as number) + i * minute));
        expect(missed?.missedCount).toBe(((inWindow[0] as number) - firstDue) / minute);
        expect(inWindow.at(-1)).toBeGreaterThanOrEqual(firstDue + 9 * minute);
      }
      // The one-off, five minutes late, still fired (a runAt is never missed).
      expect(of("once").map((f) => f.status)).toEqual(["STARTED"]);

      // The old timers' jobs come back (a replayed timer, a full reconcile): nothing fires twice.
      const before = rows.length;
      await engine.queue.enqueue(timers.map((t) => scheduleJob(t.id, t.nextFireAt as Date)));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect((await firings()).length).toBe(before);
    } finally {
      await engine.stop();
    }
  });
});
