/**
 * The graphql-transport-ws server, spoken to as a raw WebSocket where the
 * protocol's rules are the point (close codes, ping, errors per operation)
 * and through graphql-ws's client where a real client's view is.
 */
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { cancelExecution, startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { type Payload, wsClient } from "../support/graphql-clients.js";
import { useServedEngine } from "../support/served-engine.js";

// No worker: executions stay PENDING until a test changes them.
const served = useServedEngine();

// biome-ignore lint/suspicious/noExplicitAny: protocol messages are checked field by field
type Message = any;

/** A WebSocket client that reads every message and the close, for assertions. */
class RawClient {
  private readonly messages: Message[] = [];
  private waiter: (() => void) | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data) => {
      this.messages.push(JSON.parse(String(data)));
      this.waiter?.();
    });
    this.closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: String(reason) })));
  }

  static async open(protocol: string | null = "graphql-transport-ws"): Promise<RawClient> {
    const ws = new WebSocket(`${served.server.url.replace("http", "ws")}/graphql`, protocol ?? []);
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    return new RawClient(ws);
  }

  /** Opened and acknowledged. */
  static async ready(): Promise<RawClient> {
    const client = await RawClient.open();
    client.send({ type: "connection_init" });
    expect(await client.next()).toEqual({ type: "connection_ack" });
    return client;
  }

  send(message: Message | string): void {
    this.ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  async next(): Promise<Message> {
    const deadline = Date.now() + 5000;
    while (this.messages.length === 0) {
      if (Date.now() > deadline) throw new Error("no message within 5 s");
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 100);
      });
    }
    return this.messages.shift();
  }

  close(): void {
    this.ws.close();
  }
}

async function pendingExecution(): Promise<string> {
  const workflow = await createWorkflow(served.engine.services, {
    name: `idle ${Math.random()}`,
    graph: { nodes: [{ id: "start", type: "start" }], edges: [] },
  });
  return (await startExecution(served.engine.services, workflow.id, {})).id;
}

async function openSubscriptions(): Promise<number> {
  const text = await (await fetch(`${served.server.url}/metrics`)).text();
  return Number(/^workflow_graphql_subscriptions_open (\d+)/m.exec(text)?.[1]);
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const UPDATES = "subscription ($id: ID!) { executionUpdated(id: $id) { seq kind status } }";

describe("GraphQL over WebSocket (graphql-transport-ws)", () => {
  it("acknowledges, answers pings with their payload, runs a query and completes it", async () => {
    const client = await RawClient.ready();
    client.send({ type: "ping", payload: { at: 1 } });
    expect(await client.next()).toEqual({ type: "pong", payload: { at: 1 } });
    client.send({ id: "q1", type: "subscribe", payload: { query: "{ nodeTypes { type } }" } });
    const result = await client.next();
    expect(result).toMatchObject({ id: "q1", type: "next" });
    expect(result.payload.data.nodeTypes).toHaveLength(10);
    expect(await client.next()).toEqual({ id: "q1", type: "complete" });
    client.close();
  });

  it("answers a bad operation with an error message for it, and the connection lives on", async () => {
    const client = await RawClient.ready();
    client.send({ id: "bad", type: "subscribe", payload: { query: "{ noSuchField }" } });
    const error = await client.next();
    expect(error).toMatchObject({ id: "bad", type: "error" });
    expect(error.payload[0].message).toContain("noSuchField");
    client.send({ id: "gone", type: "subscribe", payload: { query: UPDATES, variables: { id: "nope" } } });
    const notFound = await client.next();
    expect(notFound).toMatchObject({ id: "gone", type: "error" });
    expect(notFound.payload[0].extensions.code).toBe("NOT_FOUND");
    client.send({ id: "q2", type: "subscribe", payload: { query: "{ nodeTypes { type } }" } });
    expect(await client.next()).toMatchObject({ id: "q2", type: "next" });
    client.close();
  });

  it("closes with the protocol's codes when a client breaks its rules", async () => {
    // subscriptions-transport-ws's protocol is not spoken here: no subprotocol is agreed, and a
    // client that names none is closed.
    await expect(RawClient.open("graphql-ws")).rejects.toThrow("no subprotocol");
    const unnamed = await RawClient.open(null);
    expect((await unnamed.closed).code).toBe(4406);

    const garbage = await RawClient.open();
    garbage.send("{not json");
    expect((await garbage.closed).code).toBe(4400);

    const early = await RawClient.open();
    early.send({ id: "1", type: "subscribe", payload: { query: "{ nodeTypes { type } }" } });
    expect(await early.closed).toEqual({ code: 4401, reason: "Unauthorized" });

    const twice = await RawClient.ready();
    twice.send({ type: "connection_init" });
    expect((await twice.closed).code).toBe(4429);

    const huge = await RawClient.ready(); // larger than MAX_REQUEST_BYTES (2 MB)
    huge.send({ id: "1", type: "subscribe", payload: { query: `{ nodeTypes { type } } #${"x".repeat(2_100_000)}` } });
    expect((await huge.closed).code).toBe(1009);

    const wrongWay = await RawClient.ready();
    wrongWay.send({ id: "1", type: "next", payload: {} });
    expect((await wrongWay.closed).code).toBe(4400);

    const silent = await RawClient.open(); // never sends connection_init
    expect(await silent.closed).toEqual({ code: 4408, reason: "Connection initialisation timeout" });

    const duplicate = await RawClient.ready();
    // A long id of multi-byte characters: the close reason that names it must still fit 123 bytes.
    const id = "é".repeat(200);
    const subscribe = {
      id,
      type: "subscribe",
      payload: { query: UPDATES, variables: { id: await pendingExecution() } },
    };
    duplicate.send(subscribe);
    expect(await duplicate.next()).toMatchObject({ id, type: "next" }); // the snapshot: it is running
    duplicate.send(subscribe);
    const closed = await duplicate.closed;
    expect(closed.code).toBe(4409);
    expect(closed.reason).toMatch(/^Subscriber for é+…$/);
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
  });

  it("ends a subscription the client completes, and every one of a socket that closes", async () => {
    const before = await openSubscriptions();
    const executionId = await pendingExecution();
    const client = await RawClient.ready();
    for (const id of ["a", "b", "c"]) {
      client.send({ id, type: "subscribe", payload: { query: UPDATES, variables: { id: executionId } } });
      expect(await client.next()).toMatchObject({
        id,
        type: "next",
        payload: { data: { executionUpdated: { kind: "SNAPSHOT" } } },
      });
    }
    await eventually(async () => (await openSubscriptions()) === before + 3, "three open subscriptions");
    client.send({ id: "a", type: "complete" });
    await eventually(async () => (await openSubscriptions()) === before + 2, "the completed one to end");
    client.close();
    await eventually(async () => (await openSubscriptions()) === before, "the socket's subscriptions to end");
  });

  it("gives subscribers of one execution each their own selection, every change in order", async () => {
    const executionId = await pendingExecution();
    const selections = [
      "subscription ($id: ID!) { executionUpdated(id: $id) { seq kind } }",
      "subscription ($id: ID!) { executionUpdated(id: $id) { seq kind status execution { status } } }",
    ];
    // Three subscribers of each selection, on separate sockets: same operation, shared results.
    const clients = selections.flatMap((query) =>
      [0, 1, 2].map(() => ({ query, client: wsClient(served.server.url) })),
    );
    const received = clients.map(() => [] as Payload[]);
    const snapshots = clients.map(
      ({ query, client }, i) =>
        new Promise<void>((resolve, reject) => {
          client.subscribe<Payload["data"]>(
            { query, variables: { id: executionId } },
            {
              next: (payload) => {
                received[i]?.push(payload as Payload);
                resolve();
              },
              error: reject,
              complete: () => {},
            },
          );
        }),
    );
    try {
      await Promise.all(snapshots);
      await cancelExecution(served.engine.services, executionId);
      const updatesOf = (i: number) => (received[i] ?? []).map((p) => p.data.executionUpdated);
      const cancelled = (i: number) => updatesOf(i).some((u) => u.kind === "EXECUTION");
      await eventually(async () => clients.every((_, i) => cancelled(i)), "every subscriber to see the cancel");
      // The cancel is one commit (the execution and its open step): wait for all of it everywhere.
      const total = Math.max(...clients.map((_, i) => updatesOf(i).length));
      await eventually(async () => clients.every((_, i) => updatesOf(i).length === total), "the whole commit");

      const [first, ...rest] = updatesOf(0);
      expect(first).toEqual({ seq: first.seq, kind: "SNAPSHOT" });
      expect(rest.map((u) => u.seq)).toEqual(rest.map((_, k) => first.seq + 1 + k));
      for (const i of [1, 2]) expect(updatesOf(i)).toEqual(updatesOf(0));
      const detailed = updatesOf(3);
      expect(detailed[0]).toEqual({
        seq: first.seq,
        kind: "SNAPSHOT",
        status: "PENDING",
        execution: expect.any(Object),
      });
      expect(detailed.find((u) => u.kind === "EXECUTION")).toEqual({
        seq: expect.any(Number),
        kind: "EXECUTION",
        status: "CANCELLED",
        execution: { status: "CANCELLED" },
      });
      expect(detailed.map((u) => u.seq)).toEqual(updatesOf(0).map((u) => u.seq));
      for (const i of [4, 5]) expect(updatesOf(i)).toEqual(detailed);
    } finally {
      await Promise.all(clients.map(({ client }) => client.dispose()));
    }
  });
});
