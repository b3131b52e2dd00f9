/**
 * The HTTP server the engine's http_call steps reach during the bench:
 * `POST /followup` answers at once (Lead routing's follow-up call), and
 * `/gate/<key>` holds the request until the bench opens that gate, so a
 * measurement decides when a step may finish.
 */
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { onCleanup } from "./cleanup.js";

export class HttpTarget {
  private readonly held = new Map<string, ServerResponse>();
  private readonly open = new Set<string>();
  private readonly arrivals = new Map<string, () => void>();
  private readonly arrived = new Set<string>();
  private readonly server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const gate = /^\/gate\/([\w/-]+)/.exec(req.url ?? "")?.[1];
      if (gate === undefined) return reply(res);
      this.arrived.add(gate);
      this.arrivals.get(gate)?.();
      if (this.open.has(gate)) reply(res);
      else this.held.set(gate, res);
    });
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    onCleanup("stop the HTTP target", () => this.stop());
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** Resolves once a request for /gate/<key> has arrived (its step is running). */
  reached(key: string): Promise<void> {
    if (this.arrived.has(key)) return Promise.resolve();
    return new Promise((resolve) => this.arrivals.set(key, resolve));
  }

  /** Answers the request held at /gate/<key>, and any that comes later. */
  openGate(id: string): void {
    this.open.add(id);
    const res = this.held.get(id);
    this.held.delete(id);
    if (res) reply(res);
  }

  private async stop(): Promise<void> {
    for (const res of this.held.values()) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function reply(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "application/json" });
  res.end('{"ok":true}');
}
