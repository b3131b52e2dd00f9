/**
 * MAX_REQUEST_BYTES over a real socket: a declared Content-Length over the
 * limit is refused before any of the body is read, and a chunked body (no
 * length) is counted as it arrives, whichever API it is sent to.
 */
import http from "node:http";
import { describe, expect, it } from "vitest";
import { useServedEngine } from "../support/served-engine.js";

const LIMIT = 5000;
const served = useServedEngine({ overrides: { MAX_REQUEST_BYTES: String(LIMIT) } });

interface Answer {
  status: number;
  body: unknown;
}

/**
 * POSTs `chunks` to `path`: with their total as Content-Length when `declared`
 * is set (`declared: "only"` sends the headers and no body at all), chunked otherwise.
 */
function post(path: string, chunks: string[], declared: boolean | "only"): Promise<Answer> {
  const total = chunks.reduce((sum, chunk) => sum + Buffer.byteLength(chunk), 0);
  return new Promise((resolve, reject) => {
    const request = http.request(`${served.server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(declared ? { "content-length": String(total) } : {}) },
    });
    request.on("error", reject);
    request.on("response", (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
      });
      response.on("end", () => {
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) });
        request.destroy();
      });
    });
    if (declared === "only") {
      request.flushHeaders();
      return;
    }
    for (const chunk of chunks) request.write(chunk);
    request.end();
  });
}

const bigEvent = () => [`{"blob":"`, "x".repeat(4000), "x".repeat(4000), `"}`];

describe("the request body limit", () => {
  it("refuses a declared length over the limit before reading any of the body", async () => {
    expect(await post("/events", bigEvent(), "only")).toEqual({
      status: 413,
      body: { detail: `Request body larger than ${LIMIT} bytes` },
    });
    const graphql = await post("/graphql", bigEvent(), "only");
    expect(graphql.status).toBe(413);
    expect(graphql.body).toMatchObject({ errors: [{ extensions: { code: "PAYLOAD_TOO_LARGE" } }] });
  });

  it("counts a chunked body as it arrives and refuses it past the limit", async () => {
    expect(await post("/events", bigEvent(), false)).toEqual({
      status: 413,
      body: { detail: `Request body larger than ${LIMIT} bytes` },
    });
  });

  it("takes bodies within the limit, declared or chunked", async () => {
    for (const declared of [true, false]) {
      const answer = await post("/events", [`{"lead":`, `{"n":1}}`], declared);
      expect(answer.status, `declared: ${declared}`).toBe(200);
      expect(answer.body).toMatchObject({ matched: 0, execution_ids: [], duplicate: false });
    }
    const query = JSON.stringify({ query: "{ nodeTypes { type } }" });
    for (const declared of [true, false]) {
      const answer = await post("/graphql", [query.slice(0, 10), query.slice(10)], declared);
      expect(answer.status, `declared: ${declared}`).toBe(200);
      expect(answer.body).toMatchObject({ data: { nodeTypes: expect.any(Array) } });
    }
  });
});
