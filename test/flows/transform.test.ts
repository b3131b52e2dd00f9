/** transform between two steps, in a real engine: its output feeds the next step's templates. */
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors.js";
import { ingestEvent } from "../../src/services/events.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { stepsByNode, waitForExecution } from "../support/engine.js";
import { useFlowHarness } from "../support/flow-harness.js";
import { edge, node } from "../support/graphs.js";

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
