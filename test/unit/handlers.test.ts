import { describe, expect, it } from "vitest";
import { branchHandler } from "../../src/engine/handlers/branch.js";
import { callWorkflowHandler } from "../../src/engine/handlers/call-workflow.js";
import { delayHandler } from "../../src/engine/handlers/delay.js";
import { forEachHandler, MAX_FOR_EACH_ITEMS, toleratedCount } from "../../src/engine/handlers/for-each.js";
import { httpCallHandler } from "../../src/engine/handlers/http-call.js";
import { builtinHandlers, createHandlerRegistry } from "../../src/engine/handlers/index.js";
import { sendNotificationHandler } from "../../src/engine/handlers/send-notification.js";
import { transformHandler } from "../../src/engine/handlers/transform.js";
import type { HandlerInput, HttpRequest, HttpResponse, NodeHandler } from "../../src/engine/handlers/types.js";

const NOW = new Date("2026-01-01T00:00:00.000Z");

function run(handler: NodeHandler, rawData: unknown, overrides: Partial<HandlerInput<unknown>> = {}) {
  const data = handler.dataSchema.parse(rawData);
  const sent: { toRole: string; message: string }[] = [];
  const requests: HttpRequest[] = [];
  const input: HandlerInput<unknown> = {
    data,
    node: { id: "node-1", type: handler.type },
    execution: { id: "exec-1", workflowId: "wf-1", workflowName: "W", payload: { lead: { title: "CEO" }, temp: 31 } },
    steps: {},
    attempt: 1,
    maxAttempts: 3,
    edgeTargets: ["x", "y"],
    services: {
      notify: async (n) => {
        sent.push(n);
      },
      http: async (request) => {
        requests.push(request);
        return { statusCode: 200, headers: {}, body: "", contentType: undefined, durationMs: 1 };
      },
      now: () => NOW,
    },
    ...overrides,
  };
  return { outcome: handler.execute(input), sent, requests };
}

const response = (statusCode: number, body = "", contentType?: string): HttpResponse => ({
  statusCode,
  headers: contentType ? { "content-type": contentType } : {},
  body,
  contentType,
  durationMs: 12,
});

describe("branch", () => {
  const cases = [
    { label: "else", else: true, next: "drip" },
    { label: "CEO", condition: { "==": [{ var: "lead.title" }, "CEO"] }, next: "gift" },
    { label: "CTO", condition: { "==": [{ var: "lead.title" }, "CTO"] }, next: "tech" },
  ];

  it("chooses the first matching case, even when the else case stands before it", async () => {
    const { outcome } = run(branchHandler, { cases });
    expect(await outcome).toEqual({
      kind: "done",
      output: { matched: "CEO", next: "gift", followed: ["gift"] },
      next: ["gift"],
    });
  });

  it("chooses the else case only when nothing else matches", async () => {
    const execution = { id: "e", workflowId: "w", workflowName: "W", payload: { lead: { title: "Intern" } } };
    const { outcome } = run(branchHandler, { cases }, { execution });
    expect(await outcome).toMatchObject({ kind: "done", output: { matched: "else", next: "drip" }, next: ["drip"] });
  });

  it("follows the node's own edges when no case matches and there is no else", async () => {
    const { outcome } = run(branchHandler, { cases: [cases[2]] });
    expect(await outcome).toMatchObject({ kind: "done", output: { matched: null, next: null }, next: ["x", "y"] });
  });

  it("sees step outputs and the execution id in conditions", async () => {
    const steps = { t1: { output: { status_code: 503 } } };
    const data = {
      cases: [{ label: "down", condition: { ">=": [{ var: "$steps.t1.output.status_code" }, 500] }, next: "alert" }],
    };
    const { outcome } = run(branchHandler, data, { steps });
    expect(await outcome).toMatchObject({ output: { matched: "down" }, next: ["alert"] });
  });
});

describe("delay", () => {
  it("waits ms, seconds or until a time", async () => {
    expect(await run(delayHandler, { ms: 1500 }).outcome).toEqual({
      kind: "wait",
      until: new Date(NOW.getTime() + 1500),
      output: { until: "2026-01-01T00:00:01.500Z" },
    });
    expect(await run(delayHandler, { seconds: 2 }).outcome).toMatchObject({ until: new Date(NOW.getTime() + 2000) });
    expect(await run(delayHandler, { until: "2026-02-01T10:00:00Z" }).outcome).toMatchObject({
      until: new Date("2026-02-01T10:00:00Z"),
    });
  });

  it("accepts a 24-hour delay and fails a bad until without retrying", async () => {
    expect(await run(delayHandler, { ms: 86_400_000 }).outcome).toMatchObject({ kind: "wait" });
    expect(await run(delayHandler, { until: "next tuesday" }).outcome).toEqual({
      kind: "fail",
      error: 'delay.until: "next tuesday" is not a valid ISO 8601 time',
      retryable: false,
    });
  });
});

describe("send_notification", () => {
  it("notifies the role and outputs what it sent", async () => {
    const { outcome, sent } = run(sendNotificationHandler, { toRole: "AE", message: "New hot lead" });
    expect(await outcome).toEqual({ kind: "done", output: { notified: "AE", message: "New hot lead" } });
    expect(sent).toEqual([{ toRole: "AE", message: "New hot lead" }]);
  });
});

describe("http_call", () => {
  const data = {
    method: "post",
    url: "https://api.test/hook",
    headers: { "X-A": "1" },
    query: { page: 2 },
    body: { a: 1 },
  };

  it("sends the request with the Idempotency-Key and returns the original engine's output shape", async () => {
    const http = async () =>
      response(200, JSON.stringify({ ok: true, long: "z".repeat(600) }), "application/json; charset=utf-8");
    const requests: HttpRequest[] = [];
    const { outcome } = run(httpCallHandler, data, {
      services: {
        notify: async () => {},
        now: () => NOW,
        http: async (r) => {
          requests.push(r);
          return http();
        },
      },
    });
    const result = await outcome;
    expect(requests).toEqual([
      {
        method: "POST",
        url: "https://api.test/hook",
        headers: { "X-A": "1", "Idempotency-Key": "exec-1:node-1" },
        query: { page: "2" },
        body: { a: 1 },
        timeoutMs: 20_000,
      },
    ]);
    expect(result.kind).toBe("done");
    const output = (result as { output: Record<string, unknown> }).output;
    expect(output.status_code).toBe(200);
    expect(output.body).toEqual({ ok: true, long: "z".repeat(600) });
    expect((output.text as string).length).toBe(500);
    expect(output.duration_ms).toBe(12);
  });

  it("marks 408, 429 and 5xx as retryable until the last attempt", async () => {
    for (const status of [408, 429, 500, 503]) {
      const { outcome } = run(httpCallHandler, data, {
        services: { notify: async () => {}, now: () => NOW, http: async () => response(status) },
      });
      expect(await outcome).toMatchObject({
        kind: "fail",
        retryable: true,
        error: `HTTP ${status} from POST https://api.test/hook`,
      });
    }
    const last = run(httpCallHandler, data, {
      attempt: 3,
      services: { notify: async () => {}, now: () => NOW, http: async () => response(503) },
    });
    expect(await last.outcome).toMatchObject({ kind: "fail", retryable: false });
  });

  it("fails a 404 at once, unless allowHttpErrors lets it through", async () => {
    const services = {
      notify: async () => {},
      now: () => NOW,
      http: async () => response(404, "not here", "text/plain"),
    };
    expect(await run(httpCallHandler, data, { services }).outcome).toMatchObject({ kind: "fail", retryable: false });
    const allowed = await run(httpCallHandler, { ...data, allowHttpErrors: true }, { services }).outcome;
    expect(allowed).toMatchObject({ kind: "done", output: { status_code: 404, body: "not here", text: "not here" } });
  });

  it("has a retry policy: 3 attempts by default, configurable", () => {
    expect(httpCallHandler.retryPolicy?.(httpCallHandler.dataSchema.parse(data))).toEqual({
      attempts: 3,
      backoffMs: 500,
    });
    const custom = httpCallHandler.dataSchema.parse({ ...data, retry: { attempts: 5 } });
    expect(httpCallHandler.retryPolicy?.(custom)).toEqual({ attempts: 5, backoffMs: 500 });
  });
});

describe("transform", () => {
  it("outputs the values it names: as given (templates are rendered before it runs) or computed by a rule", async () => {
    const set = {
      title: "CEO",
      tags: ["a", "b"],
      hot: { logic: { ">": [{ var: "temp" }, 30] } },
      total: { logic: { "+": [{ var: "$steps.price.output.amount" }, 5] } },
    };
    const { outcome } = run(transformHandler, { set }, { steps: { price: { output: { amount: 10 } } } });
    expect(await outcome).toEqual({ kind: "done", output: { title: "CEO", tags: ["a", "b"], hot: true, total: 15 } });
  });

  it("names its rules for validation, requires a value, and fails (not retried) when a rule fails", async () => {
    expect(
      transformHandler.rules?.(transformHandler.dataSchema.parse({ set: { x: { logic: { var: "a" } }, y: 1 } })),
    ).toEqual([{ path: "set.x.logic", rule: { var: "a" } }]);
    expect(transformHandler.dataSchema.safeParse({ set: {} }).success).toBe(false);
    const { outcome } = run(transformHandler, { set: { x: { logic: { nope: [1] } } } });
    expect(await outcome).toMatchObject({
      kind: "fail",
      retryable: false,
      error: expect.stringMatching(/^set\.x\.logic failed/),
    });
  });
});

describe("call_workflow", () => {
  it("asks for one child with the parent's payload by default, waiting and failing with it", async () => {
    expect(await run(callWorkflowHandler, { workflowId: "wf-2" }).outcome).toEqual({
      kind: "startChildren",
      children: {
        mode: "call",
        workflowId: "wf-2",
        payload: { lead: { title: "CEO" }, temp: 31 },
        wait: true,
        onChildFailure: "fail",
      },
    });
    const given = { workflowId: "wf-2", payload: { a: 1 }, wait: false, onChildFailure: "continue" };
    expect(await run(callWorkflowHandler, given).outcome).toMatchObject({
      children: { payload: { a: 1 }, wait: false, onChildFailure: "continue" },
    });
    expect(callWorkflowHandler.dataSchema.safeParse({ workflowId: "" }).success).toBe(false);
    expect(callWorkflowHandler.dataSchema.safeParse({ workflowId: "w", onChildFailure: "ignore" }).success).toBe(false);
  });
});

describe("for_each", () => {
  it("asks for one child per item, with the tolerated failures counted on the items", async () => {
    const data = { items: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], workflowId: "wf-2", toleratedFailures: "25%" };
    expect(await run(forEachHandler, data).outcome).toEqual({
      kind: "startChildren",
      children: { mode: "for_each", workflowId: "wf-2", items: data.items, maxConcurrency: 10, toleratedFailures: 2 },
    });
    expect(toleratedCount(3, 10)).toBe(3);
    expect(toleratedCount("100%", 7)).toBe(7);
    expect(toleratedCount(undefined, 7)).toBe(0);
  });

  it("fails, not retried, when items are not a list or too many; refuses bad settings at save", async () => {
    expect(await run(forEachHandler, { items: "x", workflowId: "w" }).outcome).toMatchObject({
      kind: "fail",
      retryable: false,
      error: "items must render to an array, got string",
    });
    const many = Array.from({ length: MAX_FOR_EACH_ITEMS + 1 }, () => 0);
    expect(await run(forEachHandler, { items: many, workflowId: "w" }).outcome).toMatchObject({ kind: "fail" });
    for (const bad of [
      { maxConcurrency: 0 },
      { toleratedFailures: "101%" },
      { toleratedFailures: -1 },
      { toleratedFailures: "ten" },
    ]) {
      expect(forEachHandler.dataSchema.safeParse({ items: [], workflowId: "w", ...bad }).success).toBe(false);
    }
  });
});

describe("handler registry", () => {
  it("lists every built-in node type once", () => {
    expect([...createHandlerRegistry().keys()]).toEqual([
      "start",
      "end",
      "send_notification",
      "http_call",
      "delay",
      "branch",
      "wait_for_event",
      "transform",
      "call_workflow",
      "for_each",
    ]);
  });

  it("refuses two handlers of the same type", () => {
    expect(() => createHandlerRegistry([...builtinHandlers, sendNotificationHandler])).toThrow(/registered twice/);
  });
});
