/**
 * The engine's REST API as the bench uses it: save workflows, start
 * executions, send events (timing the response).
 */

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
}

export interface SentEvent {
  executionIds: string[];
  /** From just before the request was sent until its response body was read. */
  responseMs: number;
  /** When the request was sent (ms since the epoch). */
  sentAt: number;
}

export class EngineApi {
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
    const body = await this.post<{ execution_ids: string[] }>("/events", payload);
    return { executionIds: body.execution_ids, responseMs: performance.now() - started, sentAt };
  }

  private async post<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`POST ${path}: ${response.status} ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }
}
