/**
 * Rule 3 of wait_for_event: ingestion and wait registration each see what the
 * other committed. Both interleavings are forced, hundreds of times: the
 * registration holding the wait lock while the event is written, and the
 * event holding it (written, not committed) while the wait registers. Either
 * way the wait is resumed by that event, exactly once.
 */
import { describe, expect, it } from "vitest";
import type { Sql, SqlDb, SqlRunner } from "../../../src/db/sql.js";
import type { StepJob } from "../../../src/engine/ports.js";
import { claimStep } from "../../../src/engine/store/claim-step.js";
import { recordOutcome } from "../../../src/engine/store/record-outcome.js";
import { ingestEvent } from "../../../src/services/events.js";
import { startExecution } from "../../../src/services/executions.js";
import { createWorkflow } from "../../../src/services/workflows.js";
import { useTestDatabase } from "../../support/database.js";
import { startTestEngine, type TestEngine, waitUntil } from "../../support/engine.js";
import { node } from "../../support/graphs.js";

const database = useTestDatabase();
const ROUNDS = 150;

/** A gate one side waits at once it reached a statement, until the test opens it. */
class Gate {
  reached!: Promise<void>;
  private arrive!: () => void;
  private open!: () => void;
  private opened!: Promise<void>;

  constructor() {
    this.reset();
  }

  reset(): void {
    this.reached = new Promise((resolve) => (this.arrive = resolve));
    this.opened = new Promise((resolve) => (this.open = resolve));
  }

  async pass(): Promise<void> {
    this.arrive();
    await this.opened;
  }

  release(): void {
    this.open();
  }
}

/** `sql`, pausing at the gate right after a statement whose text `stopsAt` matches, inside its transaction. */
function gated(sql: SqlDb, gate: Gate, stopsAt: (text: string) => boolean): SqlDb {
  const pausing = (tx: SqlRunner): SqlRunner => ({
    query: async <T>(statement: Sql) => {
      const rows = await tx.query<T>(statement);
      if (stopsAt(statement.text)) await gate.pass();
      return rows;
    },
    execute: (statement) => tx.execute(statement),
  });
  return {
    query: (statement) => sql.query(statement),
    queryPlannedOnce: (statement) => sql.queryPlannedOnce(statement),
    execute: (statement) => sql.execute(statement),
    transaction: (work, opening) => sql.transaction((tx, opened) => work(pausing(tx), opened), opening),
    // The same transaction in round trips rather than one message, so it can pause inside it.
    queryInTransactionPlannedOnce: (statement, opening) =>
      sql.transaction((tx) => pausing(tx).query(statement), opening),
  };
}

/** True once some transaction waits for the wait lock (the other side is blocked behind the gated one). */
async function someoneWaitsForTheLock(engine: TestEngine): Promise<boolean> {
  const [row] = await engine.db.$queryRaw<{ waiting: number }[]>`
    SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`;
  return (row?.waiting ?? 0) > 0;
}

describe("wait registration and event ingestion, interleaved", () => {
  it(`resume the wait exactly once in both orders, ${ROUNDS} times each`, async () => {
    const engine = await startTestEngine(database.url, { worker: false });
    const jobs: StepJob[] = [];
    engine.services.queue.enqueue = async (added) => {
      jobs.push(...added);
    };
    try {
      const match = { and: [{ "==": [{ var: "type" }, "race"] }, { "==": [{ var: "key" }, "{{payload.key}}"] }] };
      const workflow = await createWorkflow(engine.services, {
        name: "one wait",
        graph: { nodes: [node("start", "wait_for_event", { match })], edges: [] },
      });
      const pinned = await engine.services.workflows.get(workflow.id, 1);
      const options = { now: new Date(), maxStepsPerExecution: 100 };

      /** A new execution whose wait step this test holds (claimed, about to register). */
      const heldWait = async (key: string) => {
        const execution = await startExecution(engine.services, workflow.id, { key });
        const job = jobs.find((j) => j.executionId === execution.id) as StepJob;
        const ref = { stepId: job.stepId, executionId: execution.id, nodeId: "start" };
        const claimed = await claimStep(engine.services.sql, ref, { now: new Date(), leaseMs: 60_000 });
        if (!claimed.result) throw new Error("the wait step was not claimed");
        const finish = { step: ref, attempt: claimed.result.attempt, input: {}, output: undefined };
        const wait = { match: { and: [match.and[0], { "==": [{ var: "key" }, key] }] }, until: undefined };
        return {
          ref,
          register: (sql: SqlDb) =>
            recordOutcome(
              sql,
              pinned,
              { kind: "await-event", finish, wait: { ...wait, lookbackMs: 0, failOnTimeout: false } },
              options,
            ),
        };
      };

      const expectResumedOnce = async (stepId: string, eventId: string) => {
        const step = await engine.db.step.findUniqueOrThrow({ where: { id: stepId } });
        expect(step.status).toBe("SUCCEEDED");
        expect((step.output as { eventId: string }).eventId).toBe(eventId);
        expect(await engine.db.eventResume.count({ where: { stepId } })).toBe(1);
        expect(await engine.db.eventWait.count({ where: { stepId } })).toBe(0);
      };

      const gate = new Gate();
      for (let round = 0; round < ROUNDS; round++) {
        // 1. The registration holds the lock (exclusive) while the event is written.
        gate.reset();
        const first = await heldWait(`r${round}`);
        const registering = first.register(
          gated(engine.services.sql, gate, (text) => text.includes("pg_advisory_xact_lock(")),
        );
        await gate.reached;
        const sending = ingestEvent(engine.services, { type: "race", key: `r${round}` });
        await waitUntil(() => someoneWaitsForTheLock(engine), "the event to wait for the registration");
        gate.release();
        const [, sent] = await Promise.all([registering, sending]);
        expect(sent.resumedStepIds).toEqual([first.ref.stepId]);
        await expectResumedOnce(first.ref.stepId, sent.event.id);

        // 2. The event holds the lock (shared; written, not committed) while the wait registers.
        gate.reset();
        const second = await heldWait(`e${round}`);
        const events = gated(engine.services.sql, gate, (text) => text.trimStart().startsWith("WITH requests AS"));
        const sendingFirst = ingestEvent({ ...engine.services, sql: events }, { type: "race", key: `e${round}` });
        await gate.reached;
        const registeringSecond = second.register(engine.services.sql);
        await waitUntil(() => someoneWaitsForTheLock(engine), "the registration to wait for the event");
        gate.release();
        const [sentFirst, registered] = await Promise.all([sendingFirst, registeringSecond]);
        expect(registered.result.kind).toBe("recorded");
        // The wait took the event as it registered, after the event's answer was decided.
        expect(sentFirst.resumedStepIds).toEqual([]);
        await expectResumedOnce(second.ref.stepId, sentFirst.event.id);
      }
    } finally {
      await engine.stop();
    }
  }, 240_000);
});
