/**
 * Rerunning an execution from one of its nodes, with that node's data optionally replaced
 * (`input`, checked as the workflow's own validation checks node data at save).
 */
import * as engine from "../engine/index.js";
import { isPlainObject } from "../engine/index.js";
import { ValidationError } from "../errors.js";
import type { Execution } from "../generated/prisma/client.js";
import type { ServiceDeps } from "./deps.js";
import { getExecution } from "./executions.js";

export interface RerunArgs {
  fromNodeId: string;
  /** Replaces fromNodeId's data for the rerun only. */
  input?: unknown;
}

/** Starts the rerun and returns it. NotFoundError, ConflictError (not finished) or ValidationError naming the field. */
export async function rerunExecution(deps: ServiceDeps, id: string, args: RerunArgs): Promise<Execution> {
  const original = await getExecution(deps, id);
  const input = args.input === undefined ? undefined : await checkInput(deps, original, args.fromNodeId, args.input);
  const rerunId = await engine.rerunExecution(deps, original, {
    fromNodeId: args.fromNodeId,
    ...(input ? { input } : {}),
  });
  return getExecution(deps, rerunId as string);
}

/** The replacement data, valid for its node as at save (schema, templates, rules); problems named under `input`. */
async function checkInput(
  deps: ServiceDeps,
  original: Execution,
  nodeId: string,
  input: unknown,
): Promise<Record<string, unknown>> {
  if (!isPlainObject(input))
    throw new ValidationError([{ path: "input", message: "must be an object (the node's data)" }]);
  const workflow = await deps.workflows.get(original.workflowId, original.workflowVersion);
  const node = workflow.index.node(nodeId);
  if (!node) return input; // the engine names the missing node
  const problems = engine.validateNodeDataIn(workflow.graph, { ...node, data: input }, deps.registry, "input");
  if (problems.length > 0) throw new ValidationError(problems);
  return input;
}
