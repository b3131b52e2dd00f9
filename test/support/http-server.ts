/**
 * A local HTTP server for http_call tests: records every request and answers
 * with scripted responses (the last one repeats).
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface ScriptedResponse {
  status: number;
  body?: unknown;
}

export class TestHttpServer {
  readonly requests: RecordedRequest[] = [];
  private readonly server: Server;
  private scripts = new Map<string, ScriptedResponse[]>();
  /** Delay before every response, to keep requests in flight for a while. */
  delayMs = 0;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const path = (req.url ?? "/").split("?")[0] as string;
        this.requests.push({
          method: req.method ?? "",
          path,
          headers: req.headers,
          body: text ? JSON.parse(text) : undefined,
        });
        const script = this.scripts.get(path) ?? [];
        const response = (script.length > 1 ? script.shift() : script[0]) ?? { status: 200, body: { ok: true } };
        setTimeout(() => {
          res.writeHead(response.status, { "content-type": "application/json" });
          res.end(JSON.stringify(response.body ?? {}));
        }, this.delayMs);
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** Responses for a path, in order; the last one repeats. */
  script(path: string, ...responses: ScriptedResponse[]): void {
    this.scripts.set(path, responses);
  }

  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((e) => (e ? reject(e) : resolve())));
  }
}
