/**
 * A local HTTP server for http_call tests: records every request and answers
 * with scripted responses (the last one repeats).
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  /** The query string as it arrived, without the "?". */
  query: string;
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
  private routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  /** Delay before every response, to keep requests in flight for a while. */
  delayMs = 0;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const target = req.url ?? "/";
        const mark = target.includes("?") ? target.indexOf("?") : target.length;
        const path = target.slice(0, mark);
        const query = target.slice(mark + 1);
        this.requests.push({
          method: req.method ?? "",
          path,
          query,
          headers: req.headers,
          body: text ? JSON.parse(text) : undefined,
        });
        const route = this.routes.get(path);
        if (route) return route(req, res);
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

  /** Answers a path with `respond` (after recording the request), for responses a script cannot describe. */
  route(path: string, respond: (req: IncomingMessage, res: ServerResponse) => void): void {
    this.routes.set(path, respond);
  }

  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((e) => (e ? reject(e) : resolve())));
  }
}
