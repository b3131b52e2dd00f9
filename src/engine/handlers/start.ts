import { z } from "zod";
import { defineHandler } from "./types.js";

/** Entry point of a workflow: does nothing and lets every outgoing path start. */
export const startHandler = defineHandler({
  type: "start",
  description: "Entry point of the workflow. Does nothing; every outgoing path starts after it.",
  dataSchema: z.looseObject({}),
  runsInMemory: true,
  async execute() {
    return { kind: "done", output: {} };
  },
});
