/**
 * Claims and finishes of many executions share one statement
 * (src/engine/store/claim-step.ts, finish-statement.ts): each request must come out as if
 * it had run alone, numbered from its own execution's seq, and concurrent
 * statements over the same executions must not deadlock.
 */
import { describe, expect, it } from "vitest";
import type { Sql, SqlDb } from "../../../src/db/sql.js";
import type { EngineChange } from "../../../src/engine/ports.js";
import { claimJob, claimStep, claimSteps } from "../../../src/engine/store/claim-step.js";
import { ingestEvent } from "../../../src/services/events.js";
import { startExecution } from "../../../src/services/executions.js";
import { createWorkflow } from "../../../src/services/workflows.js";
import { useTestDatabase } from "../../support/database.js";
import { startTestEngine, stepsByNode, type TestEngine } from "../../support/engine.js";
import { edge, node } from "../../support/graphs.js";
import { completeStep } from "../../support/record-step.js";

const database = useTestDatabase();

const say = (id: string) => node(id, "send_notification", { toRole: "ops", message: `${id} for {{payload.n}}` });

/** The SqlDb with its statements recorded (a handle of its own, so with batchers of its own). */
function recording(db: SqlDb): { db: SqlDb; batched: () => number } {
  const texts: string[] = [];
  const record = (sql: Sql) => {
    texts.push(sql.text);
    return sql;
  };
  return {
    db: {
      query: (sql) => db.query(record(sql)),
      queryPlannedOnce: (sql) => db.queryPlannedOnce(record(sql)),
      execute: (sql) => db.execute(record(sql)),
      transaction: (work, opening) => db.transaction(work, opening),
      queryInTransactionPlannedOnce: (sql, opening) => db.queryInTransactionPlannedOnce(record(sql), opening),
    },
    // The shared statements (claims, finishes, new executions) all open with their requests.
    batched: () => texts.filter((text) => text.trimStart().startsWith("WITH requests AS")).length,
  };
}

async function withEngine(test: (engine: TestEngine) => Promise<void>): Promise<void> {
  const engine = await startTestEngine(database.url, { worker: false });
  try {
    await test(engine);
  } finally {
    await engine.stop();
  }
}

/** Starts `count` executions of a workflow (no worker runs them) and returns their first steps. */
async function firstSteps(engine: TestEngine, graph: object, count: number) {
  const workflow = await createWorkflow(engine.services, { name: `w${count}`, trigger: {}, graph });
  const started = await Promise.all(
    Array.from({ length: count }, (_, n) => startExecution(engine.services, workflow.id, { n })),
  );
  const steps = await engine.db.step.findMany({ where: { executionId: { in: started.map((e) => e.id) } } });
  const pinned = await engine.services.workflows.get(workflow.id, 1);
  return { pinned, refs: steps.map((s) => ({ stepId: s.id, executionId: s.executionId, nodeId: s.nodeId })) };
}

/** "seq node=STATUS" of a published change. */
function label(change: EngineChange): string {
  if (change.type === "notification") return `notification to ${change.toRole}`;
  return `${change.seq} ${change.type === "step" ? change.nodeId : "execution"}=${change.status}`;
}

const chain = { nodes: [node("start", "start"), say("a"), say("b")], edges: [edge("start", "a"), edge("a", "b")] };

describe("batched statements", () => {
  it("claim and finish twenty executions' steps in two statements each, numbered from each execution's seq", async () => {
    await withEngine(async (engine) => {
      const { pinned, refs } = await firstSteps(engine, chain, 20);
      const { db, batched } = recording(engine.services.sql);
      const now = new Date();

      const claims = await Promise.all(refs.map((ref) => claimStep(db, ref, { now, leaseMs: 60_000 })));
      expect(claims.map((c) => c.result)).toEqual(refs.map(() => ({ attempt: 1, lostRuns: 0 })));
      // PENDING, start PENDING (at creation), then RUNNING, start RUNNING.
      expect(claims.map((c) => c.changes.changes.map(label))).toEqual(
        refs.map(() => ["3 execution=RUNNING", "4 start=RUNNING"]),
      );
      // The first leaves at once, alone; the nineteen made meanwhile share the next statement.
      expect(batched()).toBe(2);

      const options = { now, maxStepsPerExecution: 100, claimNextForMs: 60_000 };
      const finished = await Promise.all(
        refs.map((ref) =>
          completeStep(
            db,
            pinned,
            { step: ref, attempt: 1, input: {}, output: { ran: ref.executionId }, next: ["a"] },
            options,
          ),
        ),
      );
      expect(batched()).toBe(4);
      for (const [index, ref] of refs.entries()) {
        const { result, changes } = finished[index] ?? {};
        expect(result).toMatchObject({ nodeId: "a", attempt: 1 });
        expect(changes?.changes.map(label)).toEqual(["5 start=SUCCEEDED", "6 a=PENDING", "7 a=RUNNING"]);
        const execution = await engine.db.execution.findUniqueOrThrow({
          where: { id: ref.executionId },
          include: { steps: true, changes: { orderBy: { seq: "asc" } } },
        });
        expect(execution.seq).toBe(7);
        expect(execution.changes.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
        const steps = stepsByNode(execution.steps);
        expect(steps.start).toMatchObject({ status: "SUCCEEDED", output: { ran: ref.executionId } });
        expect(steps.a).toMatchObject({ status: "RUNNING", attempt: 1, id: result?.stepId, seq: 6 });
      }
    });
  });

  it("claim a job's step only once its retry time has come, and tell the job what it found otherwise", async () => {
    await withEngine(async (engine) => {
      const { refs } = await firstSteps(engine, chain, 1);
      const [ref] = refs;
      if (!ref) throw new Error("no first step");
      const now = new Date();
      const retryAt = new Date(now.getTime() + 60_000);
      await engine.db.step.update({ where: { id: ref.stepId }, data: { resumeAt: retryAt } });
      const job = { stepId: ref.stepId, executionId: ref.executionId };

      const early = await claimJob(engine.services.sql, job, { now, leaseMs: 1_000 });
      expect(early?.claim).toBeUndefined();
      expect(early?.step).toEqual({ nodeId: "start", status: "PENDING", resumeAt: retryAt, leaseUntil: null });
      expect(early?.execution).toMatchObject({ workflowVersion: 1, payload: { n: 0 } });

      const due = await claimJob(engine.services.sql, job, { now: retryAt, leaseMs: 1_000 });
      expect(due?.claim).toEqual({ attempt: 1, lostRuns: 0 });
      const held = await claimJob(engine.services.sql, job, { now: retryAt, leaseMs: 1_000 });
      expect(held?.claim).toBeUndefined();
      expect(held?.step).toMatchObject({ status: "RUNNING", leaseUntil: new Date(retryAt.getTime() + 1_000) });

      const gone = await claimJob(engine.services.sql, { ...job, stepId: "no-such-step" }, { now, leaseMs: 1_000 });
      expect(gone).toBeUndefined();
    });
  });

  it("keeps two steps of one execution out of the same statement", async () => {
    await withEngine(async (engine) => {
      const fanOut = {
        nodes: [node("start", "start"), say("x"), say("y")],
        edges: [edge("start", "x"), edge("start", "y")],
      };
      const { pinned, refs } = await firstSteps(engine, fanOut, 1);
      const [start] = refs;
      if (!start) throw new Error("no first step");
      const now = new Date();
      await claimStep(engine.services.sql, start, { now, leaseMs: 60_000 });
      const finish = { step: start, attempt: 1, input: {}, output: {}, next: ["x", "y"] };
      await completeStep(engine.services.sql, pinned, finish, { now, maxStepsPerExecution: 100 });
      const steps = await engine.db.step.findMany({ where: { executionId: start.executionId, status: "PENDING" } });
      expect(steps).toHaveLength(2);

      const { db, batched } = recording(engine.services.sql);
      const refs2 = steps.map((s) => ({ stepId: s.id, executionId: s.executionId, nodeId: s.nodeId }));
      const claims = await Promise.all(refs2.map((ref) => claimStep(db, ref, { now, leaseMs: 60_000 })));
      expect(claims.map((c) => c.result)).toEqual([
        { attempt: 1, lostRuns: 0 },
        { attempt: 1, lostRuns: 0 },
      ]);
      // One statement each: together they would have numbered both from the same seq (and failed).
      expect(batched()).toBe(2);
      const log = await engine.db.executionChange.findMany({ where: { executionId: start.executionId } });
      expect(log.map((c) => c.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });
  });

  it("lets concurrent statements over the same executions, in opposite orders, finish without a deadlock", async () => {
    await withEngine(async (engine) => {
      const { refs } = await firstSteps(engine, chain, 12);
      const now = new Date();
      for (let round = 1; round <= 15; round++) {
        // Each round's lease has run out by the next round's clock, so every claim takes effect again.
        const at = new Date(now.getTime() + round * 60_000);
        const requests = refs.map((ref) => ({ ...ref, now: at, leaseUntil: new Date(at.getTime() + 1_000) }));
        const [forward, backward] = await Promise.all([
          claimSteps(engine.services.sql, requests),
          claimSteps(engine.services.sql, [...requests].reverse()),
        ]);
        const won = [...forward, ...backward].filter((row) => row?.attempt != null);
        expect(won).toHaveLength(refs.length);
      }
      const steps = await engine.db.step.findMany({ where: { id: { in: refs.map((ref) => ref.stepId) } } });
      expect(steps.map((s) => s.attempt)).toEqual(refs.map(() => 15));
    });
  });

  it("write concurrent events in one statement, each with its own executions, and a repeated key answered once", async () => {
    await withEngine(async (engine) => {
      await createWorkflow(engine.services, {
        name: "leads",
        trigger: { "==": [{ var: "kind" }, "lead"] },
        graph: chain,
      });
      await createWorkflow(engine.services, {
        name: "vip leads",
        trigger: { "==": [{ var: "vip" }, true] },
        graph: chain,
      });
      const { db } = recording(engine.services.sql);
      const services = { ...engine.services, sql: db };
      const sent = Array.from({ length: 12 }, (_, n) => ({ kind: "lead", n, vip: n % 3 === 0 }));
      const results = await Promise.all([
        ...sent.map((payload) => ingestEvent(services, payload, `lead-${payload.n}`)),
        ingestEvent(services, sent[4], "lead-4"),
      ]);
      // A statement holding the repeated key fails as a whole; its events are then written one by
      // one, and the repeat, a duplicate by then, is answered with the first one's result.
      for (const [n, result] of results.slice(0, 12).entries()) {
        expect(result.event.payload).toEqual(sent[n]);
        expect(result.executions).toHaveLength(n % 3 === 0 ? 2 : 1);
        for (const execution of result.executions) {
          expect(execution.eventId).toBe(result.event.id);
          expect(execution.payload).toEqual(sent[n]);
          const steps = await engine.db.step.findMany({ where: { executionId: execution.id } });
          expect(steps.map((step) => `${step.nodeId}=${step.status}`)).toEqual(["start=PENDING"]);
        }
      }
      const repeat = results[12];
      expect(repeat?.event.id).toBe(results[4]?.event.id);
      expect(repeat?.executions.map((e) => e.id)).toEqual(results[4]?.executions.map((e) => e.id));
      expect(await engine.db.event.count()).toBe(12);
    });
  });

  it("write concurrent events together (the first alone, the rest in one statement) when nothing is in the way", async () => {
    await withEngine(async (engine) => {
      const trigger = { "==": [{ var: "kind" }, "x"] };
      await createWorkflow(engine.services, { name: "x", trigger, graph: chain });
      // Loads the triggers and the workflow, which the events below then find in memory.
      await ingestEvent(engine.services, { kind: "x", n: -1 });
      const { db, batched } = recording(engine.services.sql);
      const services = { ...engine.services, sql: db };
      const sent = Array.from({ length: 10 }, (_, n) => ({ kind: "x", n }));
      const results = await Promise.all(sent.map((payload) => ingestEvent(services, payload)));
      expect(batched()).toBe(2);
      expect(results.map((r) => r.executions.map((e) => e.payload))).toEqual(sent.map((payload) => [payload]));
    });
  });
});
