import { DateTimeResolver, JSONResolver } from "graphql-scalars";
import { ExecutionStatus, StepStatus } from "../../generated/prisma/enums.js";
import { builder } from "../builder.js";

builder.addScalarType("JSON", JSONResolver);
builder.addScalarType("DateTime", DateTimeResolver);

export const ExecutionStatusEnum = builder.enumType("ExecutionStatus", {
  values: Object.values(ExecutionStatus),
});

export const StepStatusEnum = builder.enumType("StepStatus", {
  values: Object.values(StepStatus),
});

/** One validation problem: where (e.g. `graph.nodes[3].data.url`) and what. */
export const ProblemRef = builder.objectRef<{ path: string; message: string }>("Problem").implement({
  fields: (t) => ({
    path: t.exposeString("path"),
    message: t.exposeString("message"),
  }),
});
