/**
 * The WebSocket keep-alive: every socket is pinged on an interval, one that
 * answered keeps its subscriptions, one that did not answer the last ping is
 * cut off (a client gone without closing, a dead network path).
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createApp } from "../../src/app.js";
import { createErrorMasker } from "../../src/graphql/errors.js";
import { attachGraphQLWebSocket, type GraphQLWebSocket } from "../../src/graphql/ws/server.js";
import { ApiKeys } from "../../src/http/api-keys.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, type TestEngine, waitUntil } from "../support/engine.js";

const KEEP_ALIVE_MS = 100;
const database = useTestDatabase();
let engine: TestEngine;
let server: Server;
let ws: GraphQLWebSocket;
let url: string;

beforeAll(async () => {
  engine = await startTestEngine(database.url, { worker: false });
  const { app, yoga } = createApp(engine);
  server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s as Server)) as Server;
  });
  ws = attachGraphQLWebSocket(server, {
    yoga,
    apiKeys: new ApiKeys([]),
    maskError: createErrorMasker(engine.logger),
    logger: engine.logger,
    maxMessageBytes: 100_000,
    keepAliveMs: KEEP_ALIVE_MS,
    refuseUpgrade: () => undefined,
    maxOperationsPerSocket: 100,
    maxResultBytes: 10_000_000,
  });
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});

afterAll(async () => {
  await ws?.close();
  await new Promise((resolve) => server?.close(resolve));
  await engine?.stop();
});

/** `promise`, or a failure naming `what` after `ms`. */
function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** A graphql-transport-ws socket that has been acknowledged. */
async function acknowledged(options: { autoPong: boolean }): Promise<WebSocket> {
  const socket = new WebSocket(url, "graphql-transport-ws", options);
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.once("open", () => socket.send(JSON.stringify({ type: "connection_init" })));
    socket.on("message", (data) => {
      if (JSON.parse(String(data)).type === "connection_ack") resolve();
    });
  });
  return socket;
}

describe("the WebSocket keep-alive", () => {
  it("keeps a socket that answers its pings, and it still serves operations", async () => {
    const socket = await acknowledged({ autoPong: true });
    let pings = 0;
    await withDeadline(
      new Promise<void>((resolve) =>
        socket.on("ping", () => {
          if (++pings === 4) resolve();
        }),
      ),
      5_000,
      "four pings",
    );
    expect(socket.readyState).toBe(WebSocket.OPEN);
    const answer = new Promise<unknown>((resolve) =>
      socket.on("message", (data) => {
        const message = JSON.parse(String(data));
        if (message.type === "next") resolve(message.payload);
      }),
    );
    socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: "{ nodeTypes { type } }" } }));
    expect(await withDeadline(answer, 5_000, "the query's answer")).toMatchObject({
      data: { nodeTypes: expect.any(Array) },
    });
    const closed = new Promise((resolve) => socket.once("close", resolve));
    socket.close();
    await closed;
  });

  it("cuts off a socket that stops answering", async () => {
    const socket = await acknowledged({ autoPong: false });
    const closed = new Promise<number>((resolve) => socket.on("close", (code) => resolve(code)));
    // Terminated, not closed with a code: the server gives up on the peer (1006 on this side).
    expect(await withDeadline(closed, 5_000, "the server to cut the socket off")).toBe(1006);
    await waitUntil(async () => ws.clients() === 0, "the server to forget the socket", 5_000);
  });
});
