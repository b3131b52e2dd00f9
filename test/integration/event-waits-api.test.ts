/**
 * wait_for_event, cancelOn and timeoutMs as clients see them, over a real
 * server: GraphQL (a live executionUpdated showing the wait, then its resume;
 * Step.waitingFor; explainEvent; sendEvent.resumed; the workflow fields) and
 * REST (cancel_on, timeout_ms, resumed_step_ids, a bad cancel_on named in
 * snake_case). The workflow is the approval flow of the README.
 */
import { describe, expect, it } from "vitest";
import { waitForStep } from "../support/engine.js";
import { collectWs, type Payload, wsClient } from "../support/graphql-clients.js";
import { useServedEngine } from "../support/served-engine.js";

const served = useServedEngine({ worker: true });

// biome-ignore lint/suspicious/noExplicitAny: bodies are shaped per request and checked by assertions
async function post(path: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${served.server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

// biome-ignore lint/suspicious/noExplicitAny: data is shaped by each query and checked by assertions
async function graphql(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const { body } = await post("/graphql", { query, variables });
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const match = (type: string) => ({
  and: [{ "==": [{ var: "type" }, type] }, { "==": [{ var: "expenseId" }, "{{payload.id}}"] }],
});

const approvalGraph = {
  nodes: [
    { id: "start", type: "start" },
    { id: "approval", type: "wait_for_event", data: { match: match("expense.approved"), timeoutMs: 3_600_000 } },
    { id: "pay", type: "send_notification", data: { toRole: "finance", message: "pay {{payload.id}}" } },
  ],
  edges: [
    { source: "start", target: "approval" },
    { source: "approval", target: "pay" },
  ],
};

describe("event waits over GraphQL", () => {
  it("shows the wait live, says what it waits for, explains and reports the resume", async () => {
    const input = {
      name: "expense approval",
      trigger: { "==": [{ var: "type" }, "expense.submitted"] },
      cancelOn: match("expense.withdrawn"),
      timeoutMs: 86_400_000,
      graph: approvalGraph,
    };
    const created = await graphql(
      "mutation ($input: WorkflowInput!) { createWorkflow(input: $input) { id cancelOn timeoutMs } }",
      { input },
    );
    expect(created.createWorkflow).toMatchObject({ cancelOn: input.cancelOn, timeoutMs: 86_400_000 });

    const sent = await graphql("mutation ($p: JSON!) { sendEvent(payload: $p) { executions { id } resumed { id } } }", {
      p: { type: "expense.submitted", id: "E-7" },
    });
    const executionId = sent.sendEvent.executions[0].id as string;
    expect(sent.sendEvent.resumed).toEqual([]);

    const client = wsClient(served.server.url);
    const changes: Payload[] = [];
    const watching = collectWs(
      client,
      {
        // From seq 0: the changes so far from the change log, then live ones.
        query: `subscription ($id: ID!) { executionUpdated(id: $id, afterSeq: 0) { seq kind status nodeId } }`,
        variables: { id: executionId },
      },
      (p) => {
        changes.push(p);
        const u = p.data?.executionUpdated;
        return u?.kind === "EXECUTION" && ["SUCCEEDED", "FAILED", "CANCELLED"].includes(u.status);
      },
    );
    try {
      const waiting = await waitForStep(served.engine.db, executionId, "approval", "WAITING");
      const read = await graphql(
        "query ($id: ID!) { execution(id: $id) { steps { id nodeId status resumeAt waitingFor } } }",
        { id: executionId },
      );
      const step = read.execution.steps.find((s: { nodeId: string }) => s.nodeId === "approval");
      expect(step).toMatchObject({
        id: waiting.id,
        status: "WAITING",
        waitingFor: { and: [{}, { "==": [{ var: "expenseId" }, "E-7"] }] },
      });
      expect(step.waitingFor.and[0]).toEqual({ "==": [{ var: "type" }, "expense.approved"] });
      expect(new Date(step.resumeAt).getTime()).toBeGreaterThan(Date.now() + 3_500_000);

      const approval = { type: "expense.approved", expenseId: "E-7" };
      const explained = await graphql(
        "query ($p: JSON!) { explainEvent(payload: $p) { starts { id } resumes { id } cancels { id } } }",
        { p: approval },
      );
      expect(explained.explainEvent).toEqual({ starts: [], resumes: [{ id: waiting.id }], cancels: [] });
      const withdrawal = await graphql("query ($p: JSON!) { explainEvent(payload: $p) { cancels { id } } }", {
        p: { type: "expense.withdrawn", expenseId: "E-7" },
      });
      expect(withdrawal.explainEvent.cancels).toEqual([{ id: executionId }]);

      const approved = await graphql("mutation ($p: JSON!) { sendEvent(payload: $p) { resumed { id status } } }", {
        p: approval,
      });
      expect(approved.sendEvent.resumed).toEqual([{ id: waiting.id, status: "SUCCEEDED" }]);
      await watching;
    } finally {
      await client.dispose();
    }
    const updates = changes.map((p) => p.data?.executionUpdated).filter((u) => u?.nodeId === "approval");
    expect(updates.map((u) => u.status)).toEqual(expect.arrayContaining(["WAITING", "SUCCEEDED"]));
    expect(updates.findIndex((u) => u.status === "WAITING")).toBeLessThan(
      updates.findIndex((u) => u.status === "SUCCEEDED"),
    );
  });
});

describe("event waits over REST", () => {
  it("takes cancel_on and timeout_ms, and reports resumed_step_ids", async () => {
    const saved = await post("/workflows", {
      name: "expense approval (REST)",
      trigger: { "==": [{ var: "type" }, "expense.filed"] },
      cancel_on: match("expense.dropped"),
      timeout_ms: 60_000,
      graph: approvalGraph,
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ cancel_on: match("expense.dropped"), timeout_ms: 60_000 });

    const bad = await post("/workflows", { name: "bad", cancel_on: { nope: [] }, timeout_ms: -1 });
    expect(bad.status).toBe(422);
    const locs = bad.body.detail.map((d: { loc: unknown[] }) => d.loc[1]);
    expect(locs).toEqual(expect.arrayContaining(["cancel_on", "timeout_ms"]));

    const filed = await post("/events", { type: "expense.filed", id: "R-1" });
    const [executionId] = filed.body.execution_ids as string[];
    const waiting = await waitForStep(served.engine.db, executionId as string, "approval", "WAITING");
    const approved = await post("/events", { type: "expense.approved", expenseId: "R-1" });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ matched: 0, resumed_step_ids: [waiting.id], duplicate: false });
  });
});
