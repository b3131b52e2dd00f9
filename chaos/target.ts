/**
 * The local HTTP target the workflows call: /followup and /diamond answer 200
 * after a short delay (so kills land on calls in flight), /broken always 500.
 * It counts requests per path and Idempotency-Key.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export class HttpTarget {
  /** "path key" → requests seen. */
  private readonly seen = new Map<string, number>();
  private readonly server: Server;

  constructor(private readonly delayMs: number) {
    this.server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        const path = (req.url ?? "/").split("?")[0] ?? "/";
        const key = String(req.headers["idempotency-key"] ?? "");
        const id = `${path} ${key}`;
        this.seen.set(id, (this.seen.get(id) ?? 0) + 1);
        const status = path === "/broken" ? 500 : 200;
        setTimeout(() => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify({ ok: status === 200 }));
        }, this.delayMs);
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return this;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** How many requests to `path` carried this Idempotency-Key. */
  count(path: string, key: string): number {
    return this.seen.get(`${path} ${key}`) ?? 0;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
