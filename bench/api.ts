/**
 * The engine's REST API as the bench uses it: save workflows, start
 * executions, send events (timing the response).
 */
import http from "node:http";

/** A request the server has not answered by then fails the bench (it never waits forever). */
const REQUEST_TIMEOUT_MS = 60_000;

export interface Graph {
  nodes: { id: string; type: string; data?: Record<string, unknown> }[];
  edges: { id?: string; source: string; target: string }[];
}

export interface WorkflowIn {
  name: string;
  trigger?: unknown;
  graph: Graph;
  /** Flow control, as REST takes it (a limit or a list of them). */
  concurrency?: unknown;
}

export interface SentEvent {
  executionIds: string[];
  /** From just before the request was sent until its response body was read. */
  responseMs: number;
  /** When the request was sent (ms since the epoch). */
  sentAt: number;
  /** The wait_for_event steps it resumed. */
  resumedStepIds: string[];
}

export class EngineApi {
  private readonly agent = new http.Agent({ keepAlive: true });

  constructor(private readonly baseUrl: string) {}

  async createWorkflow(workflow: WorkflowIn): Promise<string> {
    const body = await this.post<{ id: string }>("/workflows", workflow);
    return body.id;
  }

  /** POST /executions: starts a workflow directly; returns the execution id. */
  async startExecution(workflowId: string, payload: Record<string, unknown> = {}): Promise<string> {
    const body = await this.post<{ id: string }>("/executions", { workflow_id: workflowId, payload });
    return body.id;
  }

  /** POST /events, timed. */
  async sendEvent(payload: Record<string, unknown>): Promise<SentEvent> {
    const sentAt = Date.now();
    const started = performance.now();
    const body = await this.post<{ execution_ids: string[]; resumed_step_ids: string[] }>("/events", payload);
    const responseMs = performance.now() - started;
    return { executionIds: body.execution_ids, responseMs, sentAt, resumedStepIds: body.resumed_step_ids };
  }

  /**
   * node:http with keep-alive rather than fetch: fetch's streams cost the
   * bench about a millisecond of CPU per request, taken from the engine it
   * measures on the same cores.
   */
  private async post<T>(path: string, body: unknown): Promise<T> {
    const payload = JSON.stringify(body);
    try {
      return await this.send<T>(path, payload);
    } catch (error) {
      // The server closes a kept-alive connection after 5 idle seconds; a request sent on it just
      // then never reached the server (Node's documented case), so it is sent again, once.
      if (!(error instanceof StaleConnectionError)) throw error;
      return this.send<T>(path, payload);
    }
  }

  private send<T>(path: string, payload: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const request = http.request(
        `${this.baseUrl}${path}`,
        {
          method: "POST",
          agent: this.agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
          timeout: REQUEST_TIMEOUT_MS,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", reject);
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            if (response.statusCode !== 200)
              reject(new Error(`POST ${path}: ${response.statusCode} ${text.slice(0, 500)}`));
            else resolve(JSON.parse(text) as T);
          });
        },
      );
      request.on("timeout", () =>
        request.destroy(new Error(`POST ${path}: no answer within ${REQUEST_TIMEOUT_MS} ms`)),
      );
      request.on("error", (error: NodeJS.ErrnoException) => {
        const stale = request.reusedSocket && (error.code === "ECONNRESET" || error.message === "socket hang up");
        reject(stale ? new StaleConnectionError(path) : error);
      });
      request.end(payload);
    });
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}

class StaleConnectionError extends Error {
  constructor(path: string) {
    super(`POST ${path}: the kept-alive connection had been closed by the server`);
  }
}
