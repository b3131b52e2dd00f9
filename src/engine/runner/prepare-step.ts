/**
 * Everything a step's run needs before its handler: the node, its handler,
 * earlier outputs, its templated input (step-context.ts) and retry policy.
 */
import type { GraphNode } from "../graph.js";
import type { HandlerRegistry } from "../handlers/index.js";
import type { RetryPolicy } from "../handlers/types.js";
import { readStepOutputs } from "../store/step-outputs.js";
import type { ExecutionContext, StepRunnerDeps } from "./runner-deps.js";
import { type PreparedInput, prepareInput } from "./step-context.js";

const NO_RETRY: RetryPolicy = { attempts: 1, backoffMs: 0 };

export type PreparedStep = Awaited<ReturnType<typeof prepareStep>>;

/** Outputs by node id: recorded ones, and `known` ones not recorded yet (steps run ahead in memory). */
export type KnownOutputs = Record<string, { output: unknown }>;

/** Whether a node runs in memory (see NodeHandler.runsInMemory), known before any templating. */
export function runsInMemory(registry: HandlerRegistry, context: ExecutionContext, nodeId: string): boolean {
  const type = context.workflow.index.node(nodeId)?.type;
  return type !== undefined && registry.get(type)?.runsInMemory === true;
}

export async function prepareStep(
  deps: StepRunnerDeps,
  context: ExecutionContext,
  nodeId: string,
  known: KnownOutputs = {},
) {
  const { workflow, executionId, payload } = context;
  const node = withOverride(workflow.index.node(nodeId), context.dataOverrides);
  const handler = node ? deps.registry.get(node.type) : undefined;
  // Earlier outputs matter only to a node whose data mentions them ({{steps.…}}, $steps).
  const needsOutputs = handler?.readsStepOutputs === true || JSON.stringify(node?.data ?? {}).includes("steps");
  const steps = { ...(needsOutputs ? await readStepOutputs(deps.sql, executionId) : {}), ...known };
  const execution = { id: executionId, workflowId: workflow.workflowId, workflowName: workflow.name, payload };
  const { maxTemplateBytes, maxOutputBytes } = deps.limits;
  const input: PreparedInput =
    node && handler
      ? prepareInput(
          node,
          handler,
          {
            payload: execution.payload,
            steps,
            execution: { id: execution.id },
            workflow: { id: workflow.workflowId, name: workflow.name },
          },
          { maxTemplateBytes, maxStoredBytes: maxOutputBytes },
        )
      : {
          ok: false,
          input: node?.data ?? null,
          error: `node type "${node?.type ?? nodeId}" is not registered on this worker`,
        };
  const policy = input.ok && handler?.retryPolicy ? handler.retryPolicy(input.data) : NO_RETRY;
  return { node, handler, steps, execution, input, policy };
}

/** The node with a rerun's replaced data, if it has some. */
function withOverride(
  node: GraphNode | undefined,
  overrides: ExecutionContext["dataOverrides"],
): GraphNode | undefined {
  if (!node || !overrides || !Object.hasOwn(overrides, node.id)) return node;
  return { ...node, data: overrides[node.id] as GraphNode["data"] };
}
