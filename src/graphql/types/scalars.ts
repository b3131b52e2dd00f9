import { GraphQLError, GraphQLScalarType } from "graphql";
import { DateTimeResolver, JSONResolver } from "graphql-scalars";
import { ExecutionStatus, StepStatus } from "../../generated/prisma/enums.js";
import { findJsonProblem, formatJsonPath } from "../../http/json-input.js";
import { builder } from "../builder.js";

/** JSON input the engine could not walk or the database could not store is bad input, named by its place. */
function checkedJson(value: unknown): unknown {
  const problem = findJsonProblem(value);
  if (problem) throw new GraphQLError(`JSON value at ${formatJsonPath("$", problem.path)}: ${problem.message}`);
  return value;
}

const CheckedJSON = new GraphQLScalarType({
  ...JSONResolver.toConfig(),
  parseValue: (value) => checkedJson(JSONResolver.parseValue(value)),
  parseLiteral: (ast, variables) => checkedJson(JSONResolver.parseLiteral(ast, variables)),
});

builder.addScalarType("JSON", CheckedJSON);
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
