/** One node of a workflow graph, as the execution page (its status from NodeStatusesContext) and the editor draw it. */
import { Handle, type Node, type NodeProps, Position } from "@xyflow/react";
import { memo } from "react";
import { useNodeStatus } from "../lib/node-statuses.ts";
import { statusColor } from "../lib/status.ts";

export interface StepNodeData extends Record<string, unknown> {
  nodeId: string;
  type: string;
  problems?: string[];
}

export type StepFlowNode = Node<StepNodeData, "step">;

export const StepNode = memo(function StepNode({ data, selected }: NodeProps<StepFlowNode>) {
  const status = useNodeStatus(data.nodeId);
  const problems = data.problems ?? [];
  const color = problems.length > 0 ? "#cf222e" : statusColor(status);
  return (
    <div
      className={`step-node${selected ? " selected" : ""}${problems.length > 0 ? " has-problems" : ""}`}
      style={{ borderColor: color }}
      data-testid={`node-${data.nodeId}`}
      data-status={status ?? "NONE"}
      title={problems.length > 0 ? problems.join("\n") : undefined}
    >
      <Handle type="target" position={Position.Top} />
      <div className="step-node-id">{data.nodeId}</div>
      <div className="step-node-type">
        {data.type}
        {status ? (
          <span className="status-pill" style={{ background: statusColor(status) }}>
            {status}
          </span>
        ) : null}
      </div>
      {problems.length > 0 ? (
        <div className="step-node-problems" role="alert">
          {problems.length === 1 ? problems[0] : `${problems.length} problems`}
        </div>
      ) : null}
      <Handle type="source" position={Position.Bottom} />
    </div>
  );
});

export const NODE_TYPES = { step: StepNode };
