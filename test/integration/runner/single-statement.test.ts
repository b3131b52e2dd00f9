/**
 * Claims, and finishes whose successors depend on no other step, are written
 * in one statement each (src/engine/store/finish-step.ts); joins, skips
 * and the last step go through the locked transaction. Both must leave the
 * same trail: a change log numbered 1…seq without gaps or repeats, each step
 * announced PENDING → RUNNING → SUCCEEDED from the seq it was created at.
 */
import { describe, expect, it } from "vitest";
import type { Db } from "../../../src/db/client.js";
import { claimStep } from "../../../src/engine/store/claim-step.js";
import { startExecution } from "../../../src/services/executions.js";
import { createWorkflow } from "../../../src/services/workflows.js";
import { useTestDatabase } from "../../support/database.js";
import { startTestEngine, stepsByNode, waitForExecution, waitForStep } from "../../support/engine.js";
import { useFlowHarness } from "../../support/flow-harness.js";
import { edge, node } from "../../support/graphs.js";
import { completeStep } from "../../support/record-step.js";

const harness = useFlowHarness();

const say = (id: string) => node(id, "send_notification", { toRole: "ops", message: `${id} for {{payload.n}}` });

/** start fans out to two chains (a1→a2→a3, b1→b2) that join, then one last step. */
const fanOutAndJoin = {
  name: "fan out, chains, join",
  trigger: {},
  graph: {
    nodes: [node("start", "start"), ...["a1", "a2", "a3", "b1", "b2", "join", "end"].map(say)],
    edges: [
      edge("start", "a1"),
      edge("start", "b1"),
      edge("a1", "a2"),
      edge("a2", "a3"),
      edge("b1", "b2"),
      edge("a3", "join"),
      edge("b2", "join"),
      edge("join", "end"),
    ],
  },
};

/** The execution's change log, checked against its steps; returns the log's entries as "node=STATUS". */
async function checkTrail(db: Db, executionId: string): Promise<string[]> {
  const execution = await db.execution.findUniqueOrThrow({ where: { id: executionId }, include: { steps: true } });
  const log = await db.executionChange.findMany({ where: { executionId }, orderBy: { seq: "asc" } });
  expect(log.map((c) => c.seq)).toEqual(Array.from({ length: execution.seq }, (_, i) => i + 1));
  expect(log.filter((c) => c.kind === "execution").map((c) => c.status)).toEqual(
    execution.status === "SUCCEEDED" ? ["PENDING", "RUNNING", "SUCCEEDED"] : expect.anything(),
  );
  for (const step of execution.steps) {
    const own = log.filter((c) => c.stepId === step.id);
    expect(own[0]?.seq, `${step.nodeId} is numbered with its creation`).toBe(step.seq);
    expect(own.every((c) => c.nodeId === step.nodeId)).toBe(true);
    if (step.status === "SUCCEEDED") {
      // Claimed once per attempt (a takeover after a lost lease announces RUNNING again).
      const runs = Array.from({ length: step.attempt }, () => "RUNNING");
      expect(own.map((c) => c.status)).toEqual(["PENDING", ...runs, "SUCCEEDED"]);
    }
  }
  return log.map((c) => `${c.nodeId ?? "execution"}=${c.status}`);
}

describe("single-statement transitions", () => {
  it("leave a gapless change log through fan-out, chains, a join and the end, for many executions at once", async () => {
    const { engine } = harness;
    const workflow = await createWorkflow(engine.services, fanOutAndJoin);
    const started = await Promise.all(
      Array.from({ length: 30 }, (_, n) => startExecution(engine.services, workflow.id, { n })),
    );
    for (const [n, { id }] of started.entries()) {
      const execution = await waitForExecution(engine.db, id);
      expect(execution.status).toBe("SUCCEEDED");
      expect(execution.steps.map((s) => s.nodeId).sort()).toEqual(
        ["a1", "a2", "a3", "b1", "b2", "end", "join", "start"].sort(),
      );
      const trail = await checkTrail(engine.db, id);
      expect(trail.filter((entry) => entry === "join=SUCCEEDED")).toHaveLength(1);
      const notifications = await engine.db.notification.findMany({ where: { executionId: id } });
      expect(notifications.map((x) => x.message).sort()).toEqual(
        ["a1", "a2", "a3", "b1", "b2", "end", "join"].map((x) => `${x} for ${n}`).sort(),
      );
    }
  });

  it("end an execution once, after the last of its parallel last steps", async () => {
    const { engine } = harness;
    const workflow = await createWorkflow(engine.services, {
      name: "three parallel last steps",
      trigger: {},
      graph: {
        nodes: [node("start", "start"), ...["x1", "x2", "x3"].map(say)],
        edges: [edge("start", "x1"), edge("start", "x2"), edge("start", "x3")],
      },
    });
    const started = await Promise.all(
      Array.from({ length: 30 }, (_, n) => startExecution(engine.services, workflow.id, { n })),
    );
    for (const { id } of started) {
      const execution = await waitForExecution(engine.db, id);
      expect(execution.status).toBe("SUCCEEDED");
      expect(execution.steps.every((s) => s.status === "SUCCEEDED")).toBe(true);
      // Announced once (checkTrail), and after every step's own SUCCEEDED.
      const trail = await checkTrail(engine.db, id);
      expect(trail.at(-1)).toBe("execution=SUCCEEDED");
    }
  });

  it("take a branch in one statement: the chosen path runs, the other is skipped to its end", async () => {
    const { engine } = harness;
    const even = { "==": [{ "%": [{ var: "n" }, 2] }, 0] };
    const workflow = await createWorkflow(engine.services, {
      name: "branch on parity",
      trigger: {},
      graph: {
        nodes: [
          node("start", "start"),
          node("br", "branch", {
            cases: [
              { label: "even", condition: even, next: "e1" },
              { label: "odd", else: true, next: "o1" },
            ],
          }),
          ...["e1", "e2", "o1"].map(say),
        ],
        edges: [edge("start", "br"), edge("e1", "e2")],
      },
    });
    const started = await Promise.all(
      Array.from({ length: 20 }, (_, n) => startExecution(engine.services, workflow.id, { n })),
    );
    for (const [n, { id }] of started.entries()) {
      const execution = await waitForExecution(engine.db, id);
      expect(execution.status).toBe("SUCCEEDED");
      const statuses = Object.fromEntries(execution.steps.map((s) => [s.nodeId, s.status]));
      const [taken, skipped] = n % 2 === 0 ? ["SUCCEEDED", "SKIPPED"] : ["SKIPPED", "SUCCEEDED"];
      expect(statuses).toEqual({ start: "SUCCEEDED", br: "SUCCEEDED", e1: taken, e2: taken, o1: skipped });
      await checkTrail(engine.db, id);
    }
  });

  it("records a step that finishes after its execution failed, and starts nothing after it", async () => {
    const { engine, server } = harness;
    server.delayMs = 1_000;
    try {
      const workflow = await createWorkflow(engine.services, {
        name: "a slow call beside a failing one",
        trigger: {},
        graph: {
          nodes: [
            node("start", "start"),
            node("slow", "http_call", { url: server.url("/slow") }),
            say("after"),
            // Nothing listens on port 1: refused at once, and no retry.
            node("broken", "http_call", { url: "http://127.0.0.1:1/", retry: { attempts: 1 } }),
          ],
          edges: [edge("start", "slow"), edge("slow", "after"), edge("start", "broken")],
        },
      });
      const started = await startExecution(engine.services, workflow.id, { n: 1 });
      const failed = await waitForExecution(engine.db, started.id);
      expect(failed.status).toBe("FAILED");
      expect(stepsByNode(failed.steps).slow?.status).toBe("RUNNING");

      const slow = await waitForStep(engine.db, started.id, "slow", "SUCCEEDED");
      expect(slow.output).toMatchObject({ status_code: 200 });
      const execution = await engine.db.execution.findUniqueOrThrow({
        where: { id: started.id },
        include: { steps: true },
      });
      expect(execution.status).toBe("FAILED");
      expect(stepsByNode(execution.steps).after).toBeUndefined();
      const trail = await checkTrail(engine.db, started.id);
      expect(trail.slice(-2)).toEqual(["execution=FAILED", "slow=SUCCEEDED"]);
    } finally {
      server.delayMs = 0;
    }
  });
});

describe("single-statement transitions, driven by hand", () => {
  const database = useTestDatabase();

  it("write nothing for a finish whose claim was taken over, and number the takeover's finish after it", async () => {
    const engine = await startTestEngine(database.url, { worker: false });
    try {
      const workflow = await createWorkflow(engine.services, {
        name: "two steps",
        trigger: {},
        graph: { nodes: [node("start", "start"), say("next")], edges: [edge("start", "next")] },
      });
      const started = await startExecution(engine.services, workflow.id, { n: 2 });
      const [first] = await engine.db.step.findMany({ where: { executionId: started.id } });
      if (!first) throw new Error("no first step");
      const ref = { stepId: first.id, executionId: started.id, nodeId: first.nodeId };
      const pinned = await engine.services.workflows.get(workflow.id, 1);
      const now = new Date();

      const claim = await claimStep(engine.services.sql, ref, { now, leaseMs: 1_000 });
      expect(claim.result).toEqual({ attempt: 1, lostRuns: 0 });
      // Claimed again while the first claim's lease runs: refused.
      expect((await claimStep(engine.services.sql, ref, { now, leaseMs: 1_000 })).result).toBeUndefined();
      // After the lease: taken over, counted as a lost run.
      const later = new Date(now.getTime() + 2_000);
      const takeover = await claimStep(engine.services.sql, ref, { now: later, leaseMs: 1_000 });
      expect(takeover.result).toEqual({ attempt: 2, lostRuns: 1 });

      const finish = { step: ref, input: {}, output: { from: "first run" }, next: ["next"] };
      const options = { now: later, maxStepsPerExecution: 100, claimNextForMs: 1_000 };
      const lost = await completeStep(engine.services.sql, pinned, { ...finish, attempt: 1 }, options);
      expect(lost.result).toBeUndefined();
      expect(lost.changes.changes).toEqual([]);
      expect(await engine.db.step.count({ where: { executionId: started.id } })).toBe(1);

      const done = await completeStep(
        engine.services.sql,
        pinned,
        { ...finish, attempt: 2, output: { from: "takeover" } },
        options,
      );
      expect(done.result).toMatchObject({ nodeId: "next", attempt: 1 });
      const steps = stepsByNode(await engine.db.step.findMany({ where: { executionId: started.id } }));
      expect(steps.start).toMatchObject({ status: "SUCCEEDED", attempt: 2, output: { from: "takeover" } });
      expect(steps.next).toMatchObject({ status: "RUNNING", attempt: 1, id: done.result?.stepId });
      // The published changes carry the same numbers as the stored log.
      const published = done.changes.changes.map((c) => (c.type === "notification" ? "n" : `${c.seq}`));
      expect(await checkTrail(engine.db, started.id)).toEqual([
        "execution=PENDING",
        "start=PENDING",
        "execution=RUNNING",
        "start=RUNNING",
        "start=RUNNING",
        "start=SUCCEEDED",
        "next=PENDING",
        "next=RUNNING",
      ]);
      expect(published).toEqual(["6", "7", "8"]);
    } finally {
      await engine.stop();
    }
  });
});
