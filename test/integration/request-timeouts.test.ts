/**
 * A client that never finishes sending its request is cut off after
 * HTTP_REQUEST_TIMEOUT_MS (a body shorter than its Content-Length held its
 * memory for 322 s with Node's defaults), and one that never finishes its
 * headers after HTTP_HEADERS_TIMEOUT_MS, while streams that outlive those
 * limits (SSE subscriptions) keep running.
 */
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { useServedEngine } from "../support/served-engine.js";
import { eventSourceUrl, payloadOf, readSse } from "../support/sse.js";

const served = useServedEngine({ overrides: { HTTP_REQUEST_TIMEOUT_MS: "600", HTTP_HEADERS_TIMEOUT_MS: "300" } });

/** Writes `text` on a raw socket and resolves with what the server sent once it closes the socket. */
function sendAndWaitForClose(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    let received = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => {
      received += chunk;
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
  });
}

describe("request timeouts", () => {
  it("ends a request whose body stops short of its Content-Length, and a request whose headers never end", async () => {
    const { port } = served.server;
    const shortBody = sendAndWaitForClose(
      port,
      'POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"kind":',
    );
    const endlessHeaders = sendAndWaitForClose(port, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    expect(await shortBody).toMatch(/^HTTP\/1\.1 408 /);
    expect(await endlessHeaders).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("keeps an SSE subscription open past the request timeout", async () => {
    const { port, url } = served.server;
    let opened: () => void = () => {};
    const open = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const stream = readSse(eventSourceUrl(url, { query: "subscription { executionsChanged { id status } }" }), {
      onOpen: () => opened(),
      stop: (event) => event.event === "next",
      timeoutMs: 20_000,
    });
    await open;
    // A request cut off by the timeout means the timeout has passed for the stream too.
    await sendAndWaitForClose(
      port,
      "POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{",
    );
    const post = (path: string, body: unknown) =>
      fetch(`${url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const workflow = (await (await post("/workflows", { name: "Started by hand" })).json()) as { id: string };
    const response = await post("/executions", { workflow_id: workflow.id });
    expect(response.status).toBe(200);
    const execution = (await response.json()) as { id: string };
    const { events, ended } = await stream;
    expect(ended).toBe(false);
    expect(payloadOf(events.at(-1) as never)).toMatchObject({ data: { executionsChanged: { id: execution.id } } });
  });
});
