/**
 * executionUpdated must not lose a change committed right after its snapshot:
 * the stream listens (and Redis confirms the subscription) before it reads the
 * snapshot. The quiet check, which would eventually repair a loss from the
 * change log, is set far beyond the first test's deadline, so only live delivery
 * counts there; the second test relies on it alone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GraphQLContext } from "../../src/graphql/context.js";
import { type ExecutionUpdate, executionUpdates } from "../../src/graphql/live/execution-updates.js";
import { cancelExecution, startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, type TestEngine } from "../support/engine.js";

const database = useTestDatabase();
let engine: TestEngine;

beforeAll(async () => {
  // No worker: executions stay PENDING until the test changes them.
  engine = await startTestEngine(database.url, { worker: false });
});

afterAll(async () => {
  await engine?.stop();
});

function context(): GraphQLContext {
  return {
    services: engine.services,
    db: engine.db,
    bus: engine.bus,
    logger: engine.logger,
    subscriptionsOpen: { inc: () => {}, dec: () => {} },
  } as unknown as GraphQLContext;
}

/** An execution that stays PENDING (no worker): a test changes it by hand. */
async function idleExecution(name: string): Promise<{ id: string; workflowId: string }> {
  const workflow = await createWorkflow(engine.services, {
    name,
    graph: { nodes: [{ id: "start", type: "start" }], edges: [] },
  });
  const execution = await startExecution(engine.services, workflow.id, {});
  return { id: execution.id, workflowId: workflow.id };
}

/** Commits execution changes with these seqs to the log without a message on the bus, as if Redis had dropped them. */
async function commitSilently(executionId: string, seqs: number[], status: "RUNNING" | "CANCELLED"): Promise<void> {
  await engine.db.$transaction([
    engine.db.execution.update({ where: { id: executionId }, data: { seq: Math.max(...seqs), status } }),
    engine.db.executionChange.createMany({
      data: seqs.map((seq) => ({ executionId, seq, kind: "execution", status })),
    }),
  ]);
}

describe("executionUpdated", () => {
  it("delivers a change committed the moment the snapshot arrives, live, for every new subscriber", async () => {
    const workflow = await createWorkflow(engine.services, {
      name: "idle",
      graph: { nodes: [{ id: "start", type: "start" }], edges: [] },
    });
    // Several subscriptions, each on its own new channel: each must be live before its snapshot.
    for (let round = 0; round < 5; round++) {
      const execution = await startExecution(engine.services, workflow.id, {});
      const stream = executionUpdates(context(), execution.id, undefined, 60_000);
      const received: ExecutionUpdate[] = [];
      try {
        const snapshot = await stream.next();
        received.push(snapshot.value as ExecutionUpdate);
        await cancelExecution(engine.services, execution.id);
        const next = await Promise.race([
          stream.next(),
          new Promise<"late">((resolve) => setTimeout(() => resolve("late"), 10_000)),
        ]);
        expect(next).not.toBe("late");
        if (next !== "late") received.push(next.value as ExecutionUpdate);
      } finally {
        await stream.return();
      }
      expect(received.map((u) => `${u.kind}:${u.status}`)).toEqual(["SNAPSHOT:PENDING", "EXECUTION:CANCELLED"]);
      expect(received[1]?.seq).toBe((received[0]?.seq ?? 0) + 1);
    }
  });

  it("delivers, from the change log, a change whose live message never came, once the stream has been quiet", async () => {
    const execution = await idleExecution("idle too");
    const stream = executionUpdates(context(), execution.id, undefined, 200);
    try {
      const snapshot = (await stream.next()).value as ExecutionUpdate;
      const seq = snapshot.seq + 1;
      await commitSilently(execution.id, [seq], "CANCELLED");
      const next = await Promise.race([
        stream.next(),
        new Promise<"late">((resolve) => setTimeout(() => resolve("late"), 5_000)),
      ]);
      expect(next).not.toBe("late");
      if (next !== "late") expect(next.value).toMatchObject({ kind: "EXECUTION", status: "CANCELLED", seq });
    } finally {
      await stream.return();
    }
  });

  it("fills a gap from the change log as soon as a later change arrives, in order", async () => {
    const execution = await idleExecution("gap");
    // The quiet check is far away: only the gap can make the stream read the log.
    const stream = executionUpdates(context(), execution.id, undefined, 60_000);
    try {
      const snapshot = (await stream.next()).value as ExecutionUpdate;
      const lost = snapshot.seq + 1;
      await commitSilently(execution.id, [lost, lost + 1], "RUNNING");
      // The next change's message does come: the stream sees the gap before it.
      await engine.bus.publishChanges([
        {
          type: "execution",
          executionId: execution.id,
          workflowId: execution.workflowId,
          status: "RUNNING",
          seq: lost + 1,
        },
      ]);
      const deadline = new Promise<"late">((resolve) => setTimeout(() => resolve("late"), 5_000));
      const received = [await Promise.race([stream.next(), deadline]), await Promise.race([stream.next(), deadline])];
      expect(received.map((r) => (r === "late" ? r : r.value?.seq))).toEqual([lost, lost + 1]);
    } finally {
      await stream.return();
    }
  });
});
