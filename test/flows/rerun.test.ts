/**
 * Rerunning from a node in a real engine: on a SUCCEEDED and on a FAILED execution, with the
 * node's data replaced; the steps before it are copied (no HTTP call is sent again) and their
 * outputs feed the templates downstream; bad requests are refused naming the field.
 */
import { describe, expect, it } from "vitest";
import { ConflictError, ValidationError } from "../../src/errors.js";
import { startExecution } from "../../src/services/executions.js";
import { rerunExecution } from "../../src/services/reruns.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { stepsByNode, waitForExecution, waitForStep } from "../support/engine.js";
import { useFlowHarness } from "../support/flow-harness.js";
import { linked, node } from "../support/graphs.js";

const harness = useFlowHarness();
const services = () => harness.engine.services;
const db = () => harness.engine.db;

describe("rerunExecution", () => {
  it("reruns a SUCCEEDED execution from a middle node with new data; copied outputs feed the steps after it", async () => {
    harness.server.script("/price", { status: 200, body: { price: 10 } });
    const workflow = await createWorkflow(services(), {
      name: "quote",
      graph: linked(
        node("start", "start"),
        node("fetch", "http_call", { url: harness.server.url("/price") }),
        node("shape", "transform", {
          set: { total: { logic: { "*": [{ var: "$steps.fetch.output.body.price" }, 2] } } },
        }),
        node("tell", "send_notification", {
          toRole: "AE",
          message: "total {{steps.shape.output.total}} for {{payload.who}}",
        }),
      ),
    });
    const first = await waitForExecution(db(), (await startExecution(services(), workflow.id, { who: "Ada" })).id);
    expect(stepsByNode(first.steps).tell?.output).toMatchObject({ message: "total 20 for Ada" });
    const calls = harness.server.requestsTo("/price").length;

    const input = { set: { total: { logic: { "*": [{ var: "$steps.fetch.output.body.price" }, 3] } } } };
    const rerun = await rerunExecution(services(), first.id, { fromNodeId: "shape", input });
    expect(rerun).toMatchObject({
      rerunOfId: first.id,
      rerunFromNodeId: "shape",
      workflowVersion: first.workflowVersion,
    });
    const done = await waitForExecution(db(), rerun.id);
    expect(done.status).toBe("SUCCEEDED");
    expect(done.payload).toEqual({ who: "Ada" });
    const steps = stepsByNode(done.steps);
    expect(steps.fetch?.output).toEqual(stepsByNode(first.steps).fetch?.output);
    expect(steps.shape?.output).toEqual({ total: 30 });
    expect(steps.tell?.output).toMatchObject({ message: "total 30 for Ada" });
    expect(harness.server.requestsTo("/price")).toHaveLength(calls); // copied, not called again

    // A rerun of the rerun keeps the replaced data unless it is replaced again.
    const again = await waitForExecution(db(), (await rerunExecution(services(), done.id, { fromNodeId: "tell" })).id);
    expect(stepsByNode(again.steps).tell?.output).toMatchObject({ message: "total 30 for Ada" });
    expect(again.rerunOfId).toBe(done.id);
  });

  it("reruns a FAILED execution from its failed node with a fixed URL", async () => {
    harness.server.script("/broken", { status: 404, body: {} });
    harness.server.script("/fixed", { status: 200, body: { ok: 1 } });
    const workflow = await createWorkflow(services(), {
      name: "broken call",
      graph: linked(
        node("start", "start"),
        node("mark", "transform", { set: { at: "{{payload.n}}" } }),
        node("fetch", "http_call", { url: harness.server.url("/broken") }),
        node("tell", "send_notification", {
          toRole: "ops",
          message: "{{steps.mark.output.at}} {{steps.fetch.output.body.ok}}",
        }),
      ),
    });
    const failed = await waitForExecution(db(), (await startExecution(services(), workflow.id, { n: 5 })).id);
    expect(failed.status).toBe("FAILED");
    const rerun = await rerunExecution(services(), failed.id, {
      fromNodeId: "fetch",
      input: { url: harness.server.url("/fixed") },
    });
    const done = await waitForExecution(db(), rerun.id);
    expect(done.status).toBe("SUCCEEDED");
    expect(stepsByNode(done.steps).tell?.output).toMatchObject({ message: "5 1" });
    expect(done.dataOverrides).toEqual({ fetch: { url: harness.server.url("/fixed") } });
    const original = await db().execution.findUniqueOrThrow({ where: { id: failed.id }, include: { reruns: true } });
    expect(original.status).toBe("FAILED"); // untouched
    expect(original.reruns.map((r) => r.id)).toEqual([rerun.id]);
  });

  it("refuses an unknown node, bad data for the node, and an execution still running", async () => {
    const workflow = await createWorkflow(services(), {
      name: "slow",
      graph: linked(
        node("start", "start"),
        node("pause", "delay", { ms: 60_000 }),
        node("fetch", "http_call", { url: harness.server.url("/x") }),
      ),
    });
    const running = await startExecution(services(), workflow.id, {});
    await waitForStep(db(), running.id, "pause", "WAITING");
    await expect(rerunExecution(services(), running.id, { fromNodeId: "pause" })).rejects.toBeInstanceOf(ConflictError);
    await services().db.execution.update({ where: { id: running.id }, data: { status: "CANCELLED" } });

    const unknown = await rerunExecution(services(), running.id, { fromNodeId: "nope" }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ValidationError);
    expect((unknown as ValidationError).problems).toEqual([
      { path: "fromNodeId", message: `version 1 of the workflow has no node "nope"` },
    ]);
    const bad = await rerunExecution(services(), running.id, { fromNodeId: "fetch", input: { url: "ftp://x" } }).catch(
      (e: unknown) => e,
    );
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as ValidationError).problems[0]?.path).toBe("input.url");
  });
});
