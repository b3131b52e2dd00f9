/** transform between two steps, in a real engine: its output feeds the next step's templates. */
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors.js";
import { ingestEvent } from "../../src/services/events.js";
import { startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { stepsByNode, waitForExecution } from "../support/engine.js";
import { useFlowHarness } from "../support/flow-harness.js";
import { edge, linked, node } from "../support/graphs.js";

const harness = useFlowHarness();
const services = () => harness.engine.services;
const db = () => harness.engine.db;

describe("transform", () => {
  it("reshapes the event with templates and rules, and the next step reads its output", async () => {
    const type = `transform-${Date.now()}`;
    await createWorkflow(services(), {
      name: type,
      trigger: { "==": [{ var: "type" }, type] },
      graph: {
        nodes: [
          node("start", "start"),
          node("shape", "transform", {
            set: {
              who: "{{payload.lead.name}}",
              score: "{{payload.lead.score}}",
              tier: { logic: { if: [{ ">=": [{ var: "lead.score" }, 80] }, "gold", "silver"] } },
            },
          }),
          node("tell", "send_notification", {
            toRole: "AE",
            message: "{{steps.shape.output.who}} is {{steps.shape.output.tier}}",
          }),
        ],
        edges: [edge("start", "shape"), edge("shape", "tell")],
      },
    });
    const sent = await ingestEvent(services(), { type, lead: { name: "Ada", score: 91 } });
    const execution = await waitForExecution(db(), sent.executions[0]?.id as string);
    expect(execution.status).toBe("SUCCEEDED");
    const steps = stepsByNode(execution.steps);
    expect(steps.shape?.output).toEqual({ who: "Ada", score: 91, tier: "gold" });
    expect(steps.tell?.output).toEqual({ notified: "AE", message: "Ada is gold" });
  });

  it("feeds an http_call's body: the call sends the object it built, types kept", async () => {
    const path = `/shaped-${Date.now()}`;
    const workflow = await createWorkflow(services(), {
      name: "shape then call",
      graph: linked(
        node("start", "start"),
        node("shape", "transform", {
          set: {
            name: "{{payload.lead.name}}",
            score: "{{payload.lead.score}}",
            hot: { logic: { ">=": [{ var: "lead.score" }, 80] } },
          },
        }),
        node("post", "http_call", {
          method: "POST",
          url: harness.server.url(path),
          body: { lead: "{{steps.shape.output}}", source: "engine" },
        }),
      ),
    });
    const started = await startExecution(services(), workflow.id, { lead: { name: "Ada", score: 91 } });
    expect((await waitForExecution(db(), started.id)).status).toBe("SUCCEEDED");
    const [sent] = harness.server.requestsTo(path);
    expect(sent?.body).toEqual({ lead: { name: "Ada", score: 91, hot: true }, source: "engine" });
  });

  it("is refused at save when a rule or a template is malformed, naming it", async () => {
    const saving = createWorkflow(services(), {
      name: "bad transform",
      graph: {
        nodes: [
          node("start", "start"),
          node("shape", "transform", { set: { x: { logic: { nope: [1] } }, y: "{{oops}}" } }),
        ],
        edges: [edge("start", "shape")],
      },
    });
    await expect(saving).rejects.toBeInstanceOf(ValidationError);
    const problems = await saving.catch((error: ValidationError) => error.problems.map((p) => p.path));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^graph\.nodes\[1\]\.data\.set\.x\.logic/),
        expect.stringMatching(/^graph\.nodes\[1\]\.data\.set\.y/),
      ]),
    );
  });
});
