/**
 * Retention on a real engine, in both modes (PGlite in embedded mode runs the same statements): a
 * pass deletes an execution finished past its retention with its steps, notifications, change log
 * and event, and keeps a live execution however old. The rules in full, and 200,000 executions,
 * are in test/integration/retention.test.ts.
 */
import { describe, expect, it } from "vitest";
import { Pruner } from "../../src/engine/index.js";
import { ingestEvent } from "../../src/services/events.js";
import { startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { waitForExecution, waitForStep } from "../support/engine.js";
import { useFlowHarness } from "../support/flow-harness.js";
import { linked, node } from "../support/graphs.js";

const harness = useFlowHarness();
const services = () => harness.engine.services;
const db = () => harness.engine.db;

describe("retention", () => {
  it("deletes a finished execution past its retention with its rows, and keeps a live one", async () => {
    await createWorkflow(services(), {
      name: "retention: done",
      trigger: { "==": [{ var: "kind" }, "retention"] },
      graph: linked(node("start", "start"), node("notify", "send_notification", { toRole: "ops", message: "hi" })),
    });
    const waiting = await createWorkflow(services(), {
      name: "retention: waiting",
      graph: linked(node("start", "start"), node("wait", "delay", { ms: 600_000 })),
    });
    const [finished] = (await ingestEvent(services(), { kind: "retention" })).executions;
    if (!finished) throw new Error("the event started nothing");
    expect((await waitForExecution(db(), finished.id)).status).toBe("SUCCEEDED");
    const live = await startExecution(services(), waiting.id, {});
    await waitForStep(db(), live.id, "wait", "WAITING");

    // Made old by their timestamps: finished (and received) 40 days ago, created 41 days ago.
    await db().$executeRawUnsafe(
      `UPDATE "Execution" SET "finishedAt" = now() - interval '40 days', "createdAt" = now() - interval '41 days' WHERE id = $1`,
      finished.id,
    );
    await db().$executeRawUnsafe(
      `UPDATE "Execution" SET "createdAt" = now() - interval '400 days' WHERE id = $1`,
      live.id,
    );
    await db().$executeRawUnsafe(
      `UPDATE "Event" SET "receivedAt" = now() - interval '40 days' WHERE id = $1`,
      finished.eventId,
    );
    const before = {
      steps: await db().step.count({ where: { executionId: finished.id } }),
      notifications: await db().notification.count({ where: { executionId: finished.id } }),
      changes: await db().executionChange.count({ where: { executionId: finished.id } }),
    };
    expect(before.steps).toBe(2);
    expect(before.notifications).toBe(1);
    expect(before.changes).toBeGreaterThan(0);

    const pruner = new Pruner({
      sql: services().sql,
      logger: services().logger,
      settings: {
        succeededDays: 30,
        failedDays: 90,
        eventsDays: 30,
        changeLogDays: 7,
        intervalMs: 60_000,
        batchSize: 200,
        batchPauseMs: 0,
      },
    });
    const pass = await pruner.runOnce();
    expect(pass.ran).toBe(true);
    expect(pass.deleted).toMatchObject({ executions: 1, steps: 2, notifications: 1, events: 1 });

    expect(await db().execution.findUnique({ where: { id: finished.id } })).toBeNull();
    expect(await db().step.count({ where: { executionId: finished.id } })).toBe(0);
    expect(await db().executionChange.count({ where: { executionId: finished.id } })).toBe(0);
    expect(await db().event.findUnique({ where: { id: finished.eventId as string } })).toBeNull();
    // Live, however old: kept with every row.
    expect(await db().execution.findUniqueOrThrow({ where: { id: live.id } })).toMatchObject({ status: "RUNNING" });
    expect(await db().step.count({ where: { executionId: live.id } })).toBe(2);
  });
});
