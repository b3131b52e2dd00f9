/**
 * Bulk replay in a real engine: the preview counts without running anything; a replay of the
 * failed executions reruns each once from its failed step until it is COMPLETED; running its
 * batch again reruns nothing twice; abort stops it; bad filters are refused.
 */
import { describe, expect, it } from "vitest";
import { runReplayBatch } from "../../src/engine/replays.js";
import { ConflictError, type ValidationError } from "../../src/errors.js";
import { startExecution } from "../../src/services/executions.js";
import { abortReplay, getReplay, previewReplay, replayExecutions } from "../../src/services/replays.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { stepsByNode, waitForExecution, waitUntil } from "../support/engine.js";
import { useFlowHarness } from "../support/flow-harness.js";
import { linked, node } from "../support/graphs.js";

const harness = useFlowHarness();
const services = () => harness.engine.services;
const db = () => harness.engine.db;

/** A workflow whose call fails while `failing` holds its n; and `count` executions of it, finished. */
async function calls(name: string, count: number, failing: Set<number>) {
  const path = `/${name}`;
  harness.server.route(path, (req, res) => {
    const n = Number(new URL(req.url ?? "/", "http://x").searchParams.get("n"));
    res.writeHead(failing.has(n) ? 404 : 200, { "content-type": "application/json" });
    res.end(JSON.stringify({ n }));
  });
  const workflow = await createWorkflow(services(), {
    name,
    graph: linked(
      node("start", "start"),
      node("mark", "transform", { set: { n: "{{payload.n}}" } }),
      node("fetch", "http_call", { url: `${harness.server.url(path)}?n={{steps.mark.output.n}}` }),
    ),
  });
  const executions = [];
  for (let n = 0; n < count; n++) executions.push(await startExecution(services(), workflow.id, { n }));
  for (const e of executions) await waitForExecution(db(), e.id);
  return { workflow, executions };
}

describe("replayExecutions", () => {
  it("reruns every failed execution once from its failed step, until COMPLETED", async () => {
    const failing = new Set([1, 3, 5, 7, 9, 11]);
    const { workflow } = await calls("replay-failed", 12, failing);
    const filter = { workflowId: workflow.id, status: "FAILED" as const };
    expect(await previewReplay(services(), filter)).toBe(6);
    expect(await db().replay.count()).toBe(0); // a preview runs nothing
    failing.clear(); // the cause is fixed

    const replay = await replayExecutions(services(), filter);
    await waitUntil(
      async () => (await getReplay(services(), replay.id)).status === "COMPLETED",
      "the replay to complete",
    );
    const done = await getReplay(services(), replay.id);
    expect(done).toMatchObject({ total: 6, rerun: 6, skipped: 0, fromFailedStep: true });

    const reruns = await db().execution.findMany({ where: { replayId: replay.id }, include: { steps: true } });
    expect(reruns).toHaveLength(6);
    const originals = await db().execution.findMany({
      where: { id: { in: reruns.map((r) => r.rerunOfId as string) } },
    });
    expect(originals.every((o) => o.status === "FAILED")).toBe(true);
    for (const rerun of reruns) {
      const finished = await waitForExecution(db(), rerun.id);
      expect(finished.status).toBe("SUCCEEDED");
      expect(finished.rerunFromNodeId).toBe("fetch");
      expect(stepsByNode(finished.steps).fetch?.output).toMatchObject({
        body: { n: (finished.payload as { n: number }).n },
      });
    }

    // The same replay run again (as after a crash that lost its progress) reruns nothing twice.
    await db().replay.update({ where: { id: replay.id }, data: { status: "RUNNING", cursorAt: null, cursorId: null } });
    await runReplayBatch({ ...services(), limits: { MAX_STEPS_PER_EXECUTION: 1000 } }, replay.id, 50);
    expect(await db().execution.count({ where: { replayId: replay.id } })).toBe(6);
    expect(await getReplay(services(), replay.id)).toMatchObject({ status: "COMPLETED", rerun: 6 });
  });

  it("reruns from the start without fromFailedStep, and stops when aborted", async () => {
    const { workflow } = await calls("replay-abort", 45, new Set());
    const replay = await replayExecutions(services(), { workflowId: workflow.id }, false);
    const aborted = await abortReplay(services(), replay.id);
    expect(aborted.status).toBe("ABORTED");
    await expect(abortReplay(services(), replay.id)).rejects.toBeInstanceOf(ConflictError);
    // At most the batch that was running when it was aborted: no batch starts after.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const started = await db().execution.findMany({ where: { replayId: replay.id } });
    expect(started.length).toBeLessThanOrEqual(20);
    expect(started.every((e) => e.rerunFromNodeId === "start")).toBe(true);
  });

  it("refuses a filter without a workflow, on unfinished executions, or an empty window", async () => {
    const { workflow } = await calls("replay-refused", 1, new Set());
    const refused = async (filter: Parameters<typeof previewReplay>[1]) =>
      ((await replayExecutions(services(), filter).catch((e: unknown) => e)) as ValidationError).problems ??
      "not refused";
    expect(await refused({ workflowId: "" })).toEqual([{ path: "filter.workflowId", message: "required" }]);
    expect((await refused({ workflowId: workflow.id, status: "RUNNING" }))[0]?.path).toBe("filter.status");
    const now = new Date();
    expect((await refused({ workflowId: workflow.id, from: now, to: now }))[0]?.path).toBe("filter.to");
    await expect(previewReplay(services(), { workflowId: "no-such" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await db().replay.count({ where: { workflowId: workflow.id } })).toBe(0);
  });
});
