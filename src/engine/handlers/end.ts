import { z } from "zod";
import { defineHandler } from "./types.js";

/** Explicit terminal. A path also ends at any node without outgoing edges. */
export const endHandler = defineHandler({
  type: "end",
  description: "Explicit end of a path. Does nothing.",
  dataSchema: z.looseObject({}),
  runsInMemory: true,
  async execute() {
    return { kind: "done", output: {} };
  },
});
