/**
 * A new execution's entry step travels with a hint from the server (what the
 * claim would read: workflow version, node, payload), and when it runs in
 * memory the worker runs it, and the steps that may follow it in memory,
 * before writing anything, then records them all in the one statement that
 * also takes the step from PENDING (StepRunner.runEntry). What users must
 * see: exactly the rows and change log of the usual claim-then-finish path;
 * nothing at all from a hinted job whose step was taken or whose execution
 * was cancelled meanwhile; one record when the same job runs twice at once.
 */
import { describe, expect, it } from "vitest";
import type { Sql } from "../../../src/db/sql.js";
import type { StepJob } from "../../../src/engine/ports.js";
import { claimJob } from "../../../src/engine/store/claim-step.js";
import { cancelExecution, startExecution } from "../../../src/services/executions.js";
import { createWorkflow } from "../../../src/services/workflows.js";
import { useTestDatabase } from "../../support/database.js";
import { startTestEngine, stepsByNode, type TestEngine } from "../../support/engine.js";
import { edge, node } from "../../support/graphs.js";

const database = useTestDatabase();

const say = (id: string) =>
  node(id, "send_notification", { toRole: "ops", message: `${id} for {{payload.lead.name}}` });
const chain = { nodes: [node("start", "start"), say("a"), say("b")], edges: [edge("start", "a"), edge("a", "b")] };

/**
 * An engine without a worker whose queue keeps the jobs it is given (so the
 * test runs them), and which counts the batched statements its runner sends
 * (claims, finishes and new executions all open with their requests).
 */
async function withEngine(test: (engine: TestEngine, jobs: StepJob[], batched: () => number) => Promise<void>) {
  const engine = await startTestEngine(database.url, { worker: false });
  const jobs: StepJob[] = [];
  engine.services.queue.enqueue = async (added) => {
    jobs.push(...added);
  };
  const sql = engine.services.sql;
  const texts: string[] = [];
  const planned = sql.queryPlannedOnce.bind(sql);
  sql.queryPlannedOnce = <T>(statement: Sql) => {
    texts.push(statement.text);
    return planned<T>(statement);
  };
  const batched = () => texts.filter((text) => text.trimStart().startsWith("WITH requests AS")).length;
  try {
    await test(engine, jobs, batched);
  } finally {
    await engine.stop();
  }
}

async function changeLog(engine: TestEngine, executionId: string): Promise<string[]> {
  const rows = await engine.db.executionChange.findMany({ where: { executionId }, orderBy: { seq: "asc" } });
  const steps = await engine.db.step.findMany({ where: { executionId } });
  const nodeOf = new Map(steps.map((s) => [s.id, s.nodeId]));
  return rows.map((c) => `${c.seq} ${c.kind === "step" ? nodeOf.get(c.stepId ?? "") : "execution"}=${c.status}`);
}

async function startOne(engine: TestEngine, jobs: StepJob[], graph = chain) {
  const workflow = await createWorkflow(engine.services, { name: `entry ${jobs.length}`, trigger: {}, graph });
  const execution = await startExecution(engine.services, workflow.id, { lead: { name: "Ada", score: 90 } });
  const job = jobs.find((j) => j.executionId === execution.id);
  if (!job) throw new Error("no job was enqueued for the new execution");
  return { workflow, execution, job };
}

const EXPECTED_LOG = [
  "1 execution=PENDING",
  "2 start=PENDING",
  "3 execution=RUNNING",
  "4 start=RUNNING",
  "5 start=SUCCEEDED",
  "6 a=PENDING",
  "7 a=RUNNING",
  "8 a=SUCCEEDED",
  "9 b=PENDING",
  "10 b=RUNNING",
  "11 b=SUCCEEDED",
  "12 execution=SUCCEEDED",
];

describe("a new execution's entry step", () => {
  it("travels with a hint and is recorded with the steps after it in one statement, as the claim path would", async () => {
    await withEngine(async (engine, jobs, batched) => {
      const { workflow, execution, job } = await startOne(engine, jobs);
      expect(job.entry).toEqual({
        workflowId: workflow.id,
        workflowVersion: 1,
        nodeId: "start",
        payload: { lead: { name: "Ada", score: 90 } },
      });

      const before = batched();
      await engine.runner.process(job);
      // No claim: the one finish took the step from PENDING and recorded start, a and b.
      expect(batched() - before).toBe(1);

      const done = await engine.db.execution.findUniqueOrThrow({
        where: { id: execution.id },
        include: { steps: true },
      });
      expect(done.status).toBe("SUCCEEDED");
      expect(done.startedAt).not.toBeNull();
      const steps = stepsByNode(done.steps);
      expect(steps.start).toMatchObject({ status: "SUCCEEDED", attempt: 1, lostRuns: 0, leaseUntil: null });
      expect(steps.start?.startedAt?.getTime()).toBeLessThanOrEqual(steps.start?.finishedAt?.getTime() ?? 0);
      expect(steps.b?.output).toEqual({ notified: "ops", message: "b for Ada" });
      expect(await changeLog(engine, execution.id)).toEqual(EXPECTED_LOG);
      const sent = await engine.db.notification.findMany({ where: { executionId: execution.id } });
      expect(sent.map((n) => n.message).sort()).toEqual(["a for Ada", "b for Ada"]);

      // The same workflow through a job without the hint: claim, then finish; the same rows.
      const plain = await startOne(engine, jobs);
      const { entry: _hint, ...unhinted } = plain.job;
      const beforePlain = batched();
      await engine.runner.process(unhinted);
      expect(batched() - beforePlain).toBe(2);
      expect(await changeLog(engine, plain.execution.id)).toEqual(EXPECTED_LOG);
    });
  });

  it("writes nothing from a hinted job whose step another worker took, and tells the job to look again", async () => {
    await withEngine(async (engine, jobs) => {
      const { execution, job } = await startOne(engine, jobs);
      const taken = await claimJob(engine.services.sql, job, { now: new Date(), leaseMs: 60_000 });
      expect(taken?.claim).toEqual({ attempt: 1, lostRuns: 0 });

      const result = await engine.runner.process(job);
      expect(result?.rescheduleAt).toBeInstanceOf(Date);
      expect(await changeLog(engine, execution.id)).toEqual(EXPECTED_LOG.slice(0, 4));
      expect(await engine.db.notification.count({ where: { executionId: execution.id } })).toBe(0);
      const start = await engine.db.step.findFirstOrThrow({ where: { executionId: execution.id, nodeId: "start" } });
      expect(start).toMatchObject({ status: "RUNNING", attempt: 1 });
    });
  });

  it("writes nothing from a hinted job whose execution was cancelled before it ran", async () => {
    await withEngine(async (engine, jobs) => {
      const { execution, job } = await startOne(engine, jobs);
      await cancelExecution(engine.services, execution.id);
      const log = await changeLog(engine, execution.id);

      await engine.runner.process(job);
      const after = await engine.db.execution.findUniqueOrThrow({
        where: { id: execution.id },
        include: { steps: true },
      });
      expect(after.status).toBe("CANCELLED");
      expect(after.steps.map((s) => s.nodeId)).toEqual(["start"]);
      expect(await changeLog(engine, execution.id)).toEqual(log);
      expect(await engine.db.notification.count({ where: { executionId: execution.id } })).toBe(0);
    });
  });

  it("is a quiet no-op when its execution was deleted before the job ran", async () => {
    await withEngine(async (engine, jobs) => {
      const { execution, job } = await startOne(engine, jobs);
      await engine.db.execution.delete({ where: { id: execution.id } });
      await expect(engine.runner.process(job)).resolves.toBeUndefined();
      expect(await engine.db.step.count({ where: { executionId: execution.id } })).toBe(0);
    });
  });

  it("is recorded once when the same hinted job runs twice at once", async () => {
    await withEngine(async (engine, jobs) => {
      const { execution, job } = await startOne(engine, jobs);
      await Promise.all([engine.runner.process({ ...job }), engine.runner.process({ ...job })]);

      const done = await engine.db.execution.findUniqueOrThrow({
        where: { id: execution.id },
        include: { steps: true },
      });
      expect(done.status).toBe("SUCCEEDED");
      expect(done.steps.map((s) => `${s.nodeId}=${s.status}`).sort()).toEqual([
        "a=SUCCEEDED",
        "b=SUCCEEDED",
        "start=SUCCEEDED",
      ]);
      expect(await changeLog(engine, execution.id)).toEqual(EXPECTED_LOG);
      expect(await engine.db.notification.count({ where: { executionId: execution.id } })).toBe(2);
    });
  });

  it("is claimed as usual when it does not run in memory (an http_call first)", async () => {
    await withEngine(async (engine, jobs, batched) => {
      const graph = {
        // The entry node is the one with id "start", whatever its type.
        nodes: [node("start", "http_call", { method: "GET", url: "http://127.0.0.1:9/unreachable", timeoutMs: 500 })],
        edges: [],
      };
      const { execution, job } = await startOne(engine, jobs, graph);
      expect(job.entry?.nodeId).toBe("start");
      const before = batched();
      await engine.runner.process(job);
      // The claim's statement ran first: the step was held before its call went out.
      expect(batched() - before).toBeGreaterThanOrEqual(1);
      const call = await engine.db.step.findFirstOrThrow({ where: { executionId: execution.id } });
      expect(call.attempt).toBe(1);
      expect(call.status).not.toBe("SUCCEEDED");
      expect((await changeLog(engine, execution.id)).slice(0, 4)).toEqual([
        "1 execution=PENDING",
        "2 start=PENDING",
        "3 execution=RUNNING",
        "4 start=RUNNING",
      ]);
    });
  });
});
