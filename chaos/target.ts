/**
 * The local HTTP target the workflows call: /followup and /diamond answer 200
 * after a short delay (so kills land on calls in flight), /broken always 500,
 * /slot?key=K after `slotDelayMs`, counting the executions in flight per K
 * (flow-control.ts). It counts requests per path and Idempotency-Key.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export class HttpTarget {
  /** "path key" → requests seen. */
  private readonly seen = new Map<string, number>();
  private readonly server: Server;
  /** /slot?key=K: the executions with a call in flight per K (a request ends when answered or cut off). */
  private readonly slots = new Map<string, Map<string, number>>();
  /** Most executions seen in flight at once per /slot key. */
  readonly maxSlotsInFlight = new Map<string, number>();
  /** How long /slot takes to answer (flow-control.ts). */
  slotDelayMs = 400;

  constructor(private readonly delayMs: number) {
    this.server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        const [path = "/", query = ""] = (req.url ?? "/").split("?");
        const key = String(req.headers["idempotency-key"] ?? "");
        const id = `${path} ${key}`;
        this.seen.set(id, (this.seen.get(id) ?? 0) + 1);
        const status = path === "/broken" ? 500 : 200;
        const done =
          path === "/slot" ? this.enterSlot(new URLSearchParams(query).get("key") ?? "", key, res) : () => {};
        setTimeout(
          () => {
            done();
            res.writeHead(status, { "content-type": "application/json" });
            res.end(JSON.stringify({ ok: status === 200 }));
          },
          path === "/slot" ? this.slotDelayMs : this.delayMs,
        );
      });
    });
  }

  /** Counts the call's execution (from its Idempotency-Key) in flight for `slot` until answered or cut off. */
  private enterSlot(slot: string, idempotencyKey: string, res: ServerResponse): () => void {
    const executionId = idempotencyKey.split(":")[0] ?? idempotencyKey;
    const running = this.slots.get(slot) ?? new Map<string, number>();
    this.slots.set(slot, running);
    running.set(executionId, (running.get(executionId) ?? 0) + 1);
    this.maxSlotsInFlight.set(slot, Math.max(running.size, this.maxSlotsInFlight.get(slot) ?? 0));
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      const count = (running.get(executionId) ?? 1) - 1;
      if (count > 0) running.set(executionId, count);
      else running.delete(executionId);
    };
    res.on("close", leave);
    return leave;
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
