/**
 * Live updates end to end: a real server on a free port, a worker in another
 * process, and real clients (graphql-ws and SSE) watching "Lead routing" run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen, type RunningServer } from "../../src/listen.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { useTestDatabase } from "../support/database.js";
import {
  startTestEngine,
  type TestEngine,
  testConfig,
  testEnv,
  waitForExecution,
  waitUntil,
} from "../support/engine.js";
import { loadFlow } from "../support/flows.js";
import { collectSse, collectWs, type Payload, wsClient } from "../support/graphql-clients.js";
import { TestHttpServer } from "../support/http-server.js";
import { type ChildHandle, spawnWorker } from "../support/processes.js";
import { waitForBusSubscribers } from "../support/redis.js";

const database = useTestDatabase();
let followUp: TestHttpServer;
let api: TestEngine;
let server: RunningServer;
let worker: ChildHandle;
let workflowId: string;

const WATCH = /* GraphQL */ `
  subscription Watch($id: ID!, $afterSeq: Int) {
    executionUpdated(id: $id, afterSeq: $afterSeq) {
      seq kind status nodeId
      execution { id status steps { nodeId status } }
      step { nodeId status }
    }
  }
`;

const isFinal = (p: Payload) =>
  p.data?.executionUpdated.kind === "EXECUTION" && p.data.executionUpdated.status === "SUCCEEDED";

beforeAll(async () => {
  followUp = await new TestHttpServer().start();
  const env = testEnv(database.url);
  api = await startTestEngine(database.url, { worker: false, config: testConfig(database.url, env) });
  server = await listen(api, 0, "127.0.0.1");
  worker = spawnWorker(env);
  workflowId = (await createWorkflow(api.services, loadFlow("lead-routing.json", followUp.url("")))).id;
});

afterAll(async () => {
  await worker?.stop();
  await server?.close();
  await api?.stop();
  await followUp?.stop();
});

async function sendLead(title: string): Promise<string> {
  const response = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      query: `mutation($p: JSON!) { sendEvent(payload: $p) { matched executions { id } } }`,
      variables: { p: { lead: { source: "LinkedIn", score: 90, title } } },
    }),
  });
  const body = (await response.json()) as Payload;
  expect(body.data?.sendEvent.matched).toBe(1);
  return body.data?.sendEvent.executions[0].id;
}

/** The snapshot comes first; after it, seq grows by one per message up to SUCCEEDED. */
function expectSnapshotThenEveryChange(received: Payload[]) {
  const updates = received.map((p) => p.data?.executionUpdated);
  expect(updates[0].kind).toBe("SNAPSHOT");
  const seqs = updates.map((u) => u.seq);
  expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i));
  const last = updates.at(-1);
  expect(last).toMatchObject({ kind: "EXECUTION", status: "SUCCEEDED", execution: { status: "SUCCEEDED" } });
  // Every node visited succeeded either before the snapshot or in an update after it.
  const seen = new Set([
    ...updates[0].execution.steps
      .filter((s: { status: string }) => s.status === "SUCCEEDED")
      .map((s: { nodeId: string }) => s.nodeId),
    ...updates.filter((u) => u.kind === "STEP" && u.status === "SUCCEEDED").map((u) => u.nodeId),
  ]);
  expect([...seen].sort()).toEqual(["br1", "gift_start", "n1", "n2", "n3", "start"]);
  expect(last.execution.steps.find((s: { nodeId: string }) => s.nodeId === "drip_start").status).toBe("SKIPPED");
}

describe("executionUpdated", () => {
  it("streams the current state, then every change, over graphql-ws from a worker in another process", async () => {
    const id = await sendLead("CEO");
    const client = wsClient(server.url);
    try {
      const received = await collectWs(client, { query: WATCH, variables: { id } }, isFinal);
      expectSnapshotThenEveryChange(received);
      const waits = received
        .map((p) => p.data?.executionUpdated)
        .filter((u) => u.nodeId === "n2")
        .map((u) => u.status);
      expect(waits).toContain("SUCCEEDED");
    } finally {
      await client.dispose();
    }
  });

  it("streams the same over SSE", async () => {
    const id = await sendLead("CEO");
    const received = await collectSse(server.url, { query: WATCH, variables: { id } }, isFinal);
    expectSnapshotThenEveryChange(received);
  });

  it("replays exactly the changes a client missed while disconnected (afterSeq)", async () => {
    const id = await sendLead("CEO");
    const first = wsClient(server.url);
    let lastSeen: number;
    try {
      // Watch from the very first change (afterSeq 0) until the delay starts waiting, then drop the connection.
      const before = await collectWs(
        first,
        { query: WATCH, variables: { id, afterSeq: 0 } },
        (p) => p.data?.executionUpdated.nodeId === "n2" && p.data.executionUpdated.status === "WAITING",
      );
      lastSeen = before.at(-1)?.data?.executionUpdated.seq;
      expect(before.map((p) => p.data?.executionUpdated.seq)).toEqual(before.map((_, i) => i + 1));
    } finally {
      await first.dispose();
    }
    const done = await waitForExecution(api.db, id); // everything after happens while nobody listens
    expect(done.seq).toBeGreaterThan(lastSeen);

    const second = wsClient(server.url);
    try {
      const replayed = await collectWs(second, { query: WATCH, variables: { id, afterSeq: lastSeen } }, isFinal);
      const log = await api.db.executionChange.findMany({
        where: { executionId: id, seq: { gt: lastSeen } },
        orderBy: { seq: "asc" },
      });
      expect(replayed.map((p) => p.data?.executionUpdated.seq)).toEqual(log.map((c) => c.seq));
      expect(
        replayed.map((p) => `${p.data?.executionUpdated.nodeId ?? "execution"}:${p.data?.executionUpdated.status}`),
      ).toEqual(log.map((c) => `${c.nodeId ?? "execution"}:${c.status}`));
      expect(replayed[0]?.data?.executionUpdated.seq).toBe(lastSeen + 1);
    } finally {
      await second.dispose();
    }
  });

  it("reports an unknown execution as NOT_FOUND", async () => {
    const client = wsClient(server.url);
    try {
      const received = await collectWs(client, { query: WATCH, variables: { id: "nope" } }, () => true).catch(
        (e: unknown) => [{ errors: e as Payload["errors"] }],
      );
      const errors = received[0]?.errors;
      expect(JSON.stringify(errors)).toMatch(/Execution not found/);
    } finally {
      await client.dispose();
    }
  });
});

describe("the other subscriptions, over graphql-ws", () => {
  it("stepUpdated streams the step changes of one execution", async () => {
    const id = await sendLead("CEO");
    const client = wsClient(server.url);
    try {
      const received = await collectWs(
        client,
        {
          query: `subscription($id: ID!) { stepUpdated(executionId: $id) { nodeId status executionId } }`,
          variables: { id },
        },
        (p) => p.data?.stepUpdated.nodeId === "gift_start" && p.data.stepUpdated.status === "SUCCEEDED",
      );
      expect(received.every((p) => p.data?.stepUpdated.executionId === id)).toBe(true);
      expect(received.map((p) => p.data?.stepUpdated.nodeId)).toContain("br1");
    } finally {
      await client.dispose();
    }
  });

  it("executionsChanged and notificationSent announce executions and notifications as they happen", async () => {
    const client = wsClient(server.url);
    try {
      const statuses = collectWs(
        client,
        {
          query: `subscription($w: ID) { executionsChanged(workflowId: $w) { id status workflow { name } } }`,
          variables: { w: workflowId },
        },
        (p) => p.data?.executionsChanged.status === "SUCCEEDED",
      );
      const notifications = collectWs(
        client,
        { query: `subscription { notificationSent(toRole: "AE") { toRole message execution { id } } }` },
        (p) => p.data?.notificationSent.message === "Trigger gifting sequence",
      );
      // Send the event only once both subscriptions have reached Redis.
      await waitForBusSubscribers(api.config.QUEUE_PREFIX, ["executionsChanged:*", "notificationSent:*"]);
      // Both subscriptions are counted (earlier tests' may take a moment to close).
      await waitUntil(async () => {
        const metrics = await (await fetch(`${server.url}/metrics`)).text();
        return /^workflow_graphql_subscriptions_open 2$/m.test(metrics);
      }, "the subscriptions gauge to read 2");
      const id = await sendLead("CEO");
      const seenStatuses = (await statuses).map((p) => p.data?.executionsChanged);
      // One message per status change (PENDING, RUNNING, SUCCEEDED); each carries the execution
      // as re-read when it is resolved, so an early one may already show a later status.
      const order = ["PENDING", "RUNNING", "SUCCEEDED"];
      const ranks = seenStatuses.map((e) => order.indexOf(e.status));
      expect(ranks).toHaveLength(3);
      expect(ranks).toEqual([...ranks].sort());
      expect(seenStatuses.at(-1)?.status).toBe("SUCCEEDED");
      expect(seenStatuses.every((e) => e.id === id && e.workflow.name.startsWith("Lead routing"))).toBe(true);
      const sent = (await notifications).map((p) => p.data?.notificationSent);
      expect(sent.map((n) => n.message)).toEqual(["New hot lead", "Trigger gifting sequence"]);
      expect(sent.every((n) => n.toRole === "AE" && n.execution.id === id)).toBe(true);
    } finally {
      await client.dispose();
    }
  });
});
