/**
 * What the subscriptions deliver, change by change, held against the
 * execution's change log: every change once, with the status and seq it
 * announced (not the row re-read later), executionUpdated ending after the
 * final status, and SSE events with ids a reconnecting EventSource resumes
 * from. A real server on a free port, real graphql-ws and SSE clients, and a
 * worker that starts once the first watcher is in place.
 */
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen, type RunningServer } from "../../src/listen.js";
import { startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, type TestEngine, testConfig, waitForExecution, waitForStep } from "../support/engine.js";
import { collectWs, type Operation, type Payload, wsClient } from "../support/graphql-clients.js";
import { waitForBusSubscribers } from "../support/redis.js";
import { eventSourceUrl, payloadOf, readSse } from "../support/sse.js";

const database = useTestDatabase();
let api: TestEngine;
let worker: TestEngine | undefined;
let workerStarting: Promise<TestEngine> | undefined;
let server: RunningServer;

/** start → n1 (notification) → d1 (a short delay: PENDING, RUNNING, WAITING, SUCCEEDED) → n2 */
const CHAIN = {
  nodes: [
    { id: "start", type: "start" },
    { id: "n1", type: "send_notification", data: { toRole: "ops", message: "first" } },
    { id: "d1", type: "delay", data: { ms: 50 } },
    { id: "n2", type: "send_notification", data: { toRole: "ops", message: "second" } },
  ],
  edges: [
    { source: "start", target: "n1" },
    { source: "n1", target: "d1" },
    { source: "d1", target: "n2" },
  ],
};

beforeAll(async () => {
  // The API serves and enqueues; the worker is another engine on the same queue, started by ensureWorker().
  api = await startTestEngine(database.url, { worker: false });
  server = await listen(api, 0, "127.0.0.1");
});

afterAll(async () => {
  await server?.close();
  await worker?.stop();
  await api?.stop();
});

function ensureWorker(): Promise<TestEngine> {
  workerStarting ??= startTestEngine(database.url, { config: testConfig(database.url, configEnv()) }).then((w) => {
    worker = w;
    return w;
  });
  return workerStarting;
}

/** The API's queue and bus names, so the worker engine shares them. */
function configEnv(): Record<string, string> {
  return { QUEUE_NAME: api.config.QUEUE_NAME, QUEUE_PREFIX: api.config.QUEUE_PREFIX };
}

async function newWorkflow(name: string, graph: object = CHAIN): Promise<string> {
  return (await createWorkflow(api.services, { name, graph })).id;
}

/** The execution's changes after `afterSeq`, as "node:STATUS@seq" (node "execution" for the execution's own). */
async function loggedChanges(executionId: string, kind: "step" | "execution", afterSeq = 0): Promise<string[]> {
  const log = await api.db.executionChange.findMany({
    where: { executionId, kind, seq: { gt: afterSeq } },
    orderBy: { seq: "asc" },
  });
  return log.map((c) => `${c.nodeId ?? "execution"}:${c.status}@${c.seq}`);
}

/** Every payload until the server completes the subscription; fails if it has not by the deadline. */
async function untilComplete(client: Client, operation: Operation, timeoutMs = 15_000): Promise<Payload[]> {
  const received: Payload[] = [];
  const iterator = client.iterate(operation);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`not completed after ${timeoutMs} ms; received ${JSON.stringify(received)}`)),
      timeoutMs,
    );
  });
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), deadline]);
      if (next.done) return received;
      received.push(next.value as Payload);
    }
  } finally {
    clearTimeout(timer);
    await iterator.return?.();
  }
}

const WATCH = /* GraphQL */ `
  subscription Watch($id: ID!, $afterSeq: Int) {
    executionUpdated(id: $id, afterSeq: $afterSeq) { seq kind status nodeId }
  }
`;

const describeUpdate = (u: { kind: string; status: string; nodeId: string | null; seq: number }) =>
  `${u.kind === "STEP" ? u.nodeId : "execution"}:${u.status}@${u.seq}`;

describe("stepUpdated and executionsChanged deliver each change once, as it was announced", () => {
  it("stepUpdated: every step change of the execution, once, with its status and seq", async () => {
    const workflowId = await newWorkflow("Steps watched");
    // No worker yet: the execution waits, PENDING, until its watcher is in place.
    const created = await startExecution(api.services, workflowId, {});
    const client = wsClient(server.url);
    try {
      const received = collectWs(
        client,
        {
          query: `subscription($id: ID!) { stepUpdated(executionId: $id) { nodeId status seq executionId } }`,
          variables: { id: created.id },
        },
        (p) => p.data?.stepUpdated.nodeId === "n2" && p.data.stepUpdated.status === "SUCCEEDED",
      );
      await waitForBusSubscribers(api.config.QUEUE_PREFIX, [`executionUpdated:${created.id}`]);
      await ensureWorker();
      const steps = (await received).map((p) => p.data?.stepUpdated);
      expect(steps.every((s) => s.executionId === created.id)).toBe(true);
      const delivered = steps.map((s) => `${s.nodeId}:${s.status}@${s.seq}`);
      // Everything after the creation (whose changes were committed before anyone listened), once each.
      expect(delivered).toEqual(await loggedChanges(created.id, "step", created.seq));
      expect(delivered.filter((d) => d.startsWith("d1:"))).toEqual([
        expect.stringMatching(/^d1:PENDING@/),
        expect.stringMatching(/^d1:RUNNING@/),
        expect.stringMatching(/^d1:WAITING@/),
        expect.stringMatching(/^d1:SUCCEEDED@/),
      ]);
    } finally {
      await client.dispose();
    }
  });

  it("executionsChanged: PENDING, RUNNING, SUCCEEDED, once each, with the seq of each change", async () => {
    const workflowId = await newWorkflow("Statuses watched");
    await ensureWorker();
    const client = wsClient(server.url);
    try {
      const received = collectWs(
        client,
        {
          query: `subscription($w: ID) { executionsChanged(workflowId: $w) { id status seq workflow { id } } }`,
          variables: { w: workflowId },
        },
        (p) => p.data?.executionsChanged.status === "SUCCEEDED",
      );
      await waitForBusSubscribers(api.config.QUEUE_PREFIX, ["executionsChanged:*"]);
      const id = (await startExecution(api.services, workflowId, {})).id;
      const executions = (await received).map((p) => p.data?.executionsChanged);
      expect(executions.every((e) => e.id === id && e.workflow.id === workflowId)).toBe(true);
      expect(executions.map((e) => e.status)).toEqual(["PENDING", "RUNNING", "SUCCEEDED"]);
      const seqs = executions.map((e) => e.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(executions.map((e) => `execution:${e.status}@${e.seq}`)).toEqual(await loggedChanges(id, "execution"));
    } finally {
      await client.dispose();
    }
  });
});

describe("executionUpdated completes after the final status", () => {
  it("over graphql-ws: the stream ends right after SUCCEEDED", async () => {
    await ensureWorker();
    const id = (await startExecution(api.services, await newWorkflow("Completes"), {})).id;
    const client = wsClient(server.url);
    try {
      const received = await untilComplete(client, { query: WATCH, variables: { id, afterSeq: 0 } });
      const updates = received.map((p) => p.data?.executionUpdated);
      expect(updates.map(describeUpdate)).toEqual(await loggedAll(id));
      expect(updates.at(-1)).toMatchObject({ kind: "EXECUTION", status: "SUCCEEDED" });
    } finally {
      await client.dispose();
    }
  });

  it("for a finished execution: its state, then the end at once (nothing at all when afterSeq has it all)", async () => {
    await ensureWorker();
    const id = (await startExecution(api.services, await newWorkflow("Finished"), {})).id;
    const done = await waitForExecution(api.db, id);
    const client = wsClient(server.url);
    try {
      const snapshot = await untilComplete(client, { query: WATCH, variables: { id } });
      expect(snapshot.map((p) => p.data?.executionUpdated)).toEqual([
        { seq: done.seq, kind: "SNAPSHOT", status: "SUCCEEDED", nodeId: null },
      ]);
      expect(await untilComplete(client, { query: WATCH, variables: { id, afterSeq: done.seq } })).toEqual([]);
    } finally {
      await client.dispose();
    }
  });

  it("after a cancel: CANCELLED and the steps it cancelled, then the end", async () => {
    await ensureWorker();
    const graph = {
      nodes: [
        { id: "start", type: "start" },
        { id: "wait", type: "delay", data: { ms: 600_000 } },
      ],
      edges: [{ source: "start", target: "wait" }],
    };
    const id = (await startExecution(api.services, await newWorkflow("Cancelled", graph), {})).id;
    const waiting = await waitForStep(api.db, id, "wait", "WAITING");
    const client = wsClient(server.url);
    try {
      const watching = untilComplete(client, { query: WATCH, variables: { id } });
      await waitForBusSubscribers(api.config.QUEUE_PREFIX, [`executionUpdated:${id}`]);
      const cancelled = await fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query: `mutation($id: ID!) { cancelExecution(id: $id) { status } }`,
          variables: { id },
        }),
      });
      expect(((await cancelled.json()) as Payload).data?.cancelExecution.status).toBe("CANCELLED");
      const updates = (await watching).map((p) => p.data?.executionUpdated);
      expect(updates[0]).toMatchObject({ kind: "SNAPSHOT", status: "RUNNING" });
      expect(updates.slice(1).map(describeUpdate)).toEqual(await loggedAll(id, updates[0].seq));
      expect(updates.slice(1).map((u) => `${u.nodeId ?? "execution"}:${u.status}`)).toEqual([
        "execution:CANCELLED",
        "wait:CANCELLED",
      ]);
      expect(waiting.status).toBe("WAITING");
    } finally {
      await client.dispose();
    }
  });
});

describe("Step.seq read by a query", () => {
  it("is the seq of the change that set the status shown", async () => {
    await ensureWorker();
    const id = (await startExecution(api.services, await newWorkflow("Queried"), {})).id;
    await waitForExecution(api.db, id);
    const response = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: `query($id: ID!) { execution(id: $id) { steps { nodeId status seq } } }`,
        variables: { id },
      }),
    });
    const steps = ((await response.json()) as Payload).data?.execution.steps as {
      nodeId: string;
      status: string;
      seq: number;
    }[];
    const log = await api.db.executionChange.findMany({ where: { executionId: id, kind: "step" } });
    const lastOf = (nodeId: string) => Math.max(...log.filter((c) => c.nodeId === nodeId).map((c) => c.seq));
    expect(steps.map((s) => `${s.nodeId}:${s.status}@${s.seq}`)).toEqual(
      ["start", "n1", "d1", "n2"].map((node) => `${node}:SUCCEEDED@${lastOf(node)}`),
    );
  });
});

describe("executionUpdated and retryExecution", () => {
  it("a FAILED execution's stream completes at FAILED; the retry is followed by subscribing again with afterSeq", async () => {
    await ensureWorker();
    const graph = {
      nodes: [
        { id: "start", type: "start" },
        // Nothing listens on port 9: the call fails at once, and with one attempt the execution FAILS.
        { id: "call", type: "http_call", data: { url: "http://127.0.0.1:9/", retry: { attempts: 1 } } },
      ],
      edges: [{ source: "start", target: "call" }],
    };
    const id = (await startExecution(api.services, await newWorkflow("Retried", graph), {})).id;
    const failed = await waitForExecution(api.db, id);
    expect(failed.status).toBe("FAILED");
    const client = wsClient(server.url);
    try {
      const first = await untilComplete(client, { query: WATCH, variables: { id } });
      expect(first.map((p) => p.data?.executionUpdated.status)).toEqual(["FAILED"]);
      const retried = await fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: `mutation($id: ID!) { retryExecution(id: $id) { status } }`, variables: { id } }),
      });
      expect(((await retried.json()) as Payload).data?.retryExecution.status).toBe("RUNNING");
      const again = await untilComplete(client, { query: WATCH, variables: { id, afterSeq: failed.seq } });
      const updates = again.map((p) => p.data?.executionUpdated);
      expect(updates[0]).toMatchObject({ kind: "EXECUTION", status: "RUNNING", seq: failed.seq + 1 });
      expect(updates.at(-1)).toMatchObject({ kind: "EXECUTION", status: "FAILED" });
      expect(updates.map(describeUpdate)).toEqual(await loggedAll(id, failed.seq));
    } finally {
      await client.dispose();
    }
  });
});

describe("executionUpdated over SSE", () => {
  it("sends each event with id: <seq>, and a reconnect with Last-Event-ID gets only the later changes, then the end", async () => {
    await ensureWorker();
    const id = (await startExecution(api.services, await newWorkflow("Over SSE"), {})).id;
    // What an EventSource opens: a GET, here from the first change on (afterSeq 0).
    const url = eventSourceUrl(server.url, { query: WATCH, variables: { id, afterSeq: 0 } });
    const first = await readSse(url, {
      stop: (e) => e.event === "next" && payloadOf(e).data?.executionUpdated.nodeId === "n1",
    });
    const before = first.events.filter((e) => e.event === "next");
    expect(before.length).toBeGreaterThan(0);
    for (const event of before) expect(event.id).toBe(String(payloadOf(event).data?.executionUpdated.seq));
    const lastEventId = before.at(-1)?.id as string;

    await waitForExecution(api.db, id); // the rest happens while the connection is down
    const later = await loggedAll(id, Number(lastEventId));
    expect(later.length).toBeGreaterThan(0);

    // The browser reconnects to the same URL, sending the last id it saw.
    for (const again of [url, eventSourceUrl(server.url, { query: WATCH, variables: { id } })]) {
      const resumed = await readSse(again, { lastEventId });
      const next = resumed.events.filter((e) => e.event === "next");
      expect(next.map((e) => describeUpdate(payloadOf(e).data?.executionUpdated))).toEqual(later);
      expect(next.map((e) => e.id)).toEqual(later.map((c) => c.split("@")[1]));
      expect(resumed.events.at(-1)?.event).toBe("complete");
      expect(resumed.ended).toBe(true);
    }
  });

  it("other subscriptions keep working over SSE", async () => {
    await ensureWorker();
    const workflowId = await newWorkflow("Other SSE");
    const url = eventSourceUrl(server.url, {
      query: `subscription($w: ID) { executionsChanged(workflowId: $w) { status } }`,
      variables: { w: workflowId },
    });
    let opened: () => void = () => {};
    const open = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const reading = readSse(url, {
      onOpen: opened,
      stop: (e) => e.event === "next" && payloadOf(e).data?.executionsChanged.status === "SUCCEEDED",
    });
    await open;
    await waitForBusSubscribers(api.config.QUEUE_PREFIX, ["executionsChanged:*"]);
    await startExecution(api.services, workflowId, {});
    const next = (await reading).events.filter((e) => e.event === "next");
    expect(next.map((e) => payloadOf(e).data?.executionsChanged.status)).toEqual(["PENDING", "RUNNING", "SUCCEEDED"]);
    // yoga's own writer, without ids: executionsChanged's seqs are per execution, no position in this stream.
    expect(next.every((e) => e.id === undefined)).toBe(true);
  });
});

/** Every change of the execution after `afterSeq`, as describeUpdate writes an update. */
async function loggedAll(executionId: string, afterSeq = 0): Promise<string[]> {
  const log = await api.db.executionChange.findMany({
    where: { executionId, seq: { gt: afterSeq } },
    orderBy: { seq: "asc" },
  });
  return log.map((c) => `${c.kind === "step" ? c.nodeId : "execution"}:${c.status}@${c.seq}`);
}
