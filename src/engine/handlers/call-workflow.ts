import { z } from "zod";
import { defineHandler } from "./types.js";

const dataSchema = z.looseObject({
  workflowId: z
    .string()
    .min(1)
    .describe("The workflow to start (its current version, pinned from then on; templates allowed)"),
  payload: z
    .unknown()
    .optional()
    .describe("The child's payload; strings inside are templates (default: this execution's payload)"),
  wait: z
    .boolean()
    .optional()
    .meta({ default: true })
    .describe("Wait for the child to end (output {executionId, status, output}); false: succeed at once with its id"),
  onChildFailure: z
    .enum(["fail", "continue"])
    .optional()
    .meta({ default: "fail" })
    .describe("fail: a child that does not succeed fails this step with its error; continue: the step succeeds anyway"),
});

/**
 * Starts an execution of another workflow as this execution's child, and waits for it to end (a
 * kind of wait: the step is WAITING, holding no worker and no concurrency slot). The child is
 * written in the same transaction that parks this step, so a crash never starts it twice or loses it.
 */
export const callWorkflowHandler = defineHandler({
  type: "call_workflow",
  description: "Starts another workflow as a child execution and (by default) waits for its output.",
  dataSchema,
  templatedKeys: ["workflowId", "payload"],
  async execute({ data, execution }) {
    return {
      kind: "startChildren",
      children: {
        mode: "call",
        workflowId: data.workflowId,
        payload: data.payload === undefined ? execution.payload : data.payload,
        wait: data.wait ?? true,
        onChildFailure: data.onChildFailure ?? "fail",
      },
    };
  },
});
