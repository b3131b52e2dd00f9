import { describe, expect, inject, it } from "vitest";
import { createDatabase } from "../../src/db/database.js";
import { Prisma } from "../../src/generated/prisma/client.js";
import { useTestDatabase } from "../support/database.js";

const database = useTestDatabase();

async function workflowWithVersion() {
  const { db } = database;
  const workflow = await db.workflow.create({
    data: {
      name: "W",
      graph: { nodes: [], edges: [] },
      trigger: {},
      versions: { create: { version: 1, name: "W", graph: {}, trigger: {} } },
    },
  });
  const execution = await db.execution.create({
    data: { workflowId: workflow.id, workflowVersion: 1, payload: { a: 1 } },
  });
  return { workflow, execution };
}

describe("the migrated schema on a private database", () => {
  it("gives this file its own database, cloned from the migrated template", async () => {
    const [row] = await database.db.$queryRaw<{ name: string }[]>`SELECT current_database() AS name`;
    expect(row?.name).toBe(database.name);
    expect(database.name).not.toBe(inject("templateDatabase"));
    const tables = await database.db.$queryRaw<{ tablename: string }[]>`
      SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`;
    expect(tables.map((t) => t.tablename)).toEqual([
      "CapacityWait",
      "ChildBatch",
      "DebounceEvent",
      "Event",
      "EventResume",
      "EventWait",
      "Execution",
      "ExecutionChange",
      "ExecutionFlow",
      "FlowLine",
      "FlowSlot",
      "FlowStart",
      "Notification",
      "Replay",
      "RetentionState",
      "Revision",
      "Schedule",
      "ScheduleFiring",
      "Step",
      "WaitCandidate",
      "Workflow",
      "WorkflowVersion",
    ]);
  });

  it("stores JSON, defaults and enums as the data model says", async () => {
    const { workflow, execution } = await workflowWithVersion();
    expect(workflow).toMatchObject({ version: 1, isActive: true, deletedAt: null });
    expect(execution).toMatchObject({ status: "PENDING", payload: { a: 1 }, startedAt: null });
    const step = await database.db.step.create({ data: { executionId: execution.id, nodeId: "start", type: "start" } });
    expect(step).toMatchObject({ status: "PENDING", attempt: 0, output: null });
  });

  it("pins an execution to an existing workflow version", async () => {
    const { workflow } = await workflowWithVersion();
    await expect(
      database.db.execution.create({ data: { workflowId: workflow.id, workflowVersion: 2, payload: {} } }),
    ).rejects.toThrow(/Foreign key constraint/);
  });

  it("allows one step per node of an execution, so a join can only run once", async () => {
    const { execution } = await workflowWithVersion();
    await database.db.step.create({ data: { executionId: execution.id, nodeId: "join", type: "end" } });
    await expect(
      database.db.step.create({ data: { executionId: execution.id, nodeId: "join", type: "end" } }),
    ).rejects.toMatchObject({ code: "P2002" });
  });

  it("keeps idempotency keys unique and one notification per step", async () => {
    await database.db.event.create({ data: { payload: {}, idempotencyKey: "k-1" } });
    await expect(database.db.event.create({ data: { payload: {}, idempotencyKey: "k-1" } })).rejects.toMatchObject({
      code: "P2002",
    });
    await database.db.event.create({ data: { payload: {} } });
    await database.db.event.create({ data: { payload: {} } }); // many events without a key are fine

    const { execution } = await workflowWithVersion();
    const step = await database.db.step.create({
      data: { executionId: execution.id, nodeId: "n1", type: "send_notification" },
    });
    const notification = { executionId: execution.id, stepId: step.id, toRole: "AE", message: "hi" };
    await database.db.notification.create({ data: notification });
    await expect(database.db.notification.create({ data: notification })).rejects.toMatchObject({ code: "P2002" });
  });

  it("has an index for every list and lookup the APIs make", async () => {
    const rows = await database.db.$queryRaw<{ indexdef: string }[]>`
      SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'`;
    const defs = rows.map((r) => r.indexdef.replace(/^.* USING btree /, ""));
    // Step's status is deliberately not indexed (every status change would rewrite all its index entries).
    expect(rows.map((r) => r.indexdef).filter((d) => d.includes('"Step"') && d.includes("(status"))).toEqual([]);
    for (const expected of [
      '("workflowId", "createdAt" DESC)', // executions of a workflow, newest first
      '(status, "createdAt" DESC)', // executions by status; the reconciler's way to open steps
      '("executionId", seq)', // steps of an execution in order
      '("executionId", "nodeId")', // one step per node
      '("idempotencyKey")', // events by idempotency key
      '("workflowId", version)', // version snapshots
      '("toRole", "createdAt")', // notifications by role
      '(status, "finishedAt")', // the retention pruner's walk, oldest end first
    ]) {
      expect(defs).toContain(expected);
    }
  });

  it("deletes an execution's steps and notifications with it", async () => {
    const { execution } = await workflowWithVersion();
    const step = await database.db.step.create({
      data: { executionId: execution.id, nodeId: "n1", type: "send_notification" },
    });
    await database.db.notification.create({
      data: { executionId: execution.id, stepId: step.id, toRole: "AE", message: "x" },
    });
    await database.db.execution.delete({ where: { id: execution.id } });
    expect(await database.db.step.count({ where: { executionId: execution.id } })).toBe(0);
    expect(await database.db.notification.count({ where: { executionId: execution.id } })).toBe(0);
  });
});

describe("the connections the batched statements run on", () => {
  /** The plan of an update of the steps a batch names, the way the claim and finish statements make one. */
  const stepUpdatePlan = (steps: object[]) => Prisma.sql`
    EXPLAIN (FORMAT JSON)
    UPDATE "Step" s SET attempt = s.attempt + 1
    FROM jsonb_to_recordset(${JSON.stringify(steps)}::jsonb) AS r(step_id text, execution_id text)
    WHERE s.id = r.step_id AND s."executionId" = r.execution_id`;
  const nodeTypes = (plan: unknown) => JSON.stringify(plan).match(/"Node Type":"[^"]+"/g) ?? [];

  it("plan by index only, even on a table too small for an index to pay, so a plan made once fits any size", async () => {
    const { sql, close } = createDatabase(database.url, { poolSize: 1 });
    try {
      const settings = Prisma.sql`SELECT current_setting('plan_cache_mode') AS cache, current_setting('enable_seqscan') AS scans`;
      expect(await sql.queryPlannedOnce(settings)).toEqual([{ cache: "force_generic_plan", scans: "off" }]);
      expect(await sql.query(settings)).toEqual([{ cache: "auto", scans: "on" }]);

      const batch = [{ step_id: "s1", execution_id: "e1" }];
      const once = nodeTypes(await sql.queryPlannedOnce(stepUpdatePlan(batch)));
      expect(once).toContain('"Node Type":"Nested Loop"');
      expect(once.some((type) => type.includes("Index Scan"))).toBe(true);
      expect(once.filter((type) => /Seq Scan|Hash Join|Merge Join/.test(type))).toEqual([]);
      // What a plan made now, on the empty table, would do elsewhere: scan it.
      expect(nodeTypes(await sql.query(stepUpdatePlan(batch)))).toContain('"Node Type":"Seq Scan"');
    } finally {
      await close();
    }
  });
});
