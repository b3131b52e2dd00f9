/**
 * One execution, live: its graph coloured by step status, a timeline of its
 * steps, the selected step's input, output and error, and cancel / retry.
 */
import { memo, useMemo, useState } from "react";
import { useMutation, useQuery } from "urql";
import { JsonView } from "../../components/JsonView.tsx";
import { ErrorMessage, Loading } from "../../components/States.tsx";
import { StatusBadge } from "../../components/StatusBadge.tsx";
import { WorkflowFlow } from "../../components/WorkflowFlow.tsx";
import { graphql } from "../../graphql.ts";
import { readGraph } from "../../lib/graph.ts";
import { href } from "../../lib/router.ts";
import type { StepState } from "../../lib/seq-store.ts";
import { formatDuration, formatTime, statusColor } from "../../lib/status.ts";
import { useExecutionLive } from "./use-execution-live.ts";

const ExecutionHeader = graphql(`
  query ExecutionHeader($id: ID!) {
    execution(id: $id) {
      id
      createdAt
      payload
      workflowVersion
      workflow {
        id
        name
        version
        graph
      }
    }
  }
`);

const VersionGraph = graphql(`
  query VersionGraph($id: ID!, $offset: Int!) {
    workflow(id: $id) {
      id
      versions(first: 1, offset: $offset) {
        version
        graph
      }
    }
  }
`);

const Cancel = graphql(`
  mutation CancelExecution($id: ID!) {
    cancelExecution(id: $id) {
      id
      status
    }
  }
`);

const Retry = graphql(`
  mutation RetryExecution($id: ID!) {
    retryExecution(id: $id) {
      id
      status
    }
  }
`);

export function ExecutionPage({ id }: { id: string }) {
  const [header] = useQuery({ query: ExecutionHeader, variables: { id } });
  const execution = header.data?.execution;
  // The graph of the version this execution runs: the workflow's own when it is the latest (one
  // query fewer, the common case), else from its versions (newest first).
  const offset = execution ? execution.workflow.version - execution.workflowVersion : 0;
  const [version] = useQuery({
    query: VersionGraph,
    variables: { id: execution?.workflow.id ?? "", offset },
    pause: !execution || offset === 0,
  });
  const live = useExecutionLive(id);
  const [cancelState, cancel] = useMutation(Cancel);
  const [retryState, retry] = useMutation(Retry);
  const [selected, setSelected] = useState<string>();

  const graph = useMemo(
    () => readGraph(offset === 0 ? execution?.workflow.graph : version.data?.workflow?.versions[0]?.graph),
    [offset, execution, version.data],
  );
  const { store } = live;
  const steps = store.stepList();
  const statuses = store.nodeStatuses();
  // A new Map each render would redraw every node: key the statuses by the store's version.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the store's version stands for its content.
  const stableStatuses = useMemo(() => statuses, [store.snapshotVersion]);
  const current = store.current;
  const status = current?.status ?? "PENDING";
  const selectedSteps = steps.filter((step) => step.nodeId === selected);

  if (header.fetching && !header.data) return <Loading what="the execution" />;
  if (header.error) return <ErrorMessage error={header.error} />;
  if (!execution) return <ErrorMessage error={`No execution ${id}`} />;

  const actionError = cancelState.error ?? retryState.error;
  return (
    <section aria-labelledby="execution-title" className="execution-page">
      <div className="title-row">
        <h1 id="execution-title">
          {execution.workflow.name} <span className="subtle">v{execution.workflowVersion}</span>
        </h1>
        <span data-testid="execution-status">
          <StatusBadge status={status} />
        </span>
        <span className={`live-dot${live.stream === "live" ? "" : " off"}`} data-testid="stream-state">
          {live.stream}
        </span>
        <span className="actions">
          <button type="button" disabled={store.finished || cancelState.fetching} onClick={() => cancel({ id })}>
            Cancel
          </button>
          <button
            type="button"
            disabled={status !== "FAILED" || retryState.fetching}
            onClick={async () => {
              const result = await retry({ id });
              if (!result.error) live.follow();
            }}
          >
            Retry
          </button>
        </span>
      </div>
      <p className="subtle">
        <code>{id}</code> · created {formatTime(execution.createdAt)} · duration {formatDuration(current?.durationMs)} ·
        seq {store.resumeAfter ?? "—"} ·{" "}
        <a href={href("executions", { workflow: execution.workflow.id })}>all executions of this workflow</a>
      </p>
      {current?.error ? <ErrorMessage error={current.error} /> : null}
      {live.error ? <ErrorMessage error={live.error} /> : null}
      {actionError ? <ErrorMessage error={actionError} /> : null}
      <div className="execution-grid">
        {offset !== 0 && !version.data ? (
          <Loading what="the graph" />
        ) : (
          <WorkflowFlow graph={graph} statuses={stableStatuses} selected={selected} onSelect={setSelected} />
        )}
        <aside className="step-detail" aria-label="Step details">
          {selected ? (
            <>
              <h2>
                Node <code>{selected}</code>
              </h2>
              {selectedSteps.length === 0 ? <p className="subtle">Not reached (yet).</p> : null}
              {selectedSteps.map((step) => (
                <StepDetail key={step.id} step={step} />
              ))}
            </>
          ) : (
            <p className="subtle">Select a node or a step to see its input, output and error.</p>
          )}
          <h2>Event payload</h2>
          <JsonView value={execution.payload} label="Payload" />
        </aside>
      </div>
      <Timeline steps={steps} onSelect={setSelected} startedAt={current?.startedAt ?? execution.createdAt} />
    </section>
  );
}

function StepDetail({ step }: { step: StepState }) {
  return (
    <div className="step-block" data-testid={`step-detail-${step.nodeId}`}>
      <p>
        <StatusBadge status={step.status} /> attempt {step.attempt} · {formatDuration(step.durationMs)}
        {step.resumeAt ? ` · due ${formatTime(step.resumeAt)}` : ""}
      </p>
      {step.error ? <ErrorMessage error={step.error} /> : null}
      {step.waitingFor !== undefined && step.waitingFor !== null ? (
        <JsonView value={step.waitingFor} label="Waiting for an event matching" />
      ) : null}
      <JsonView value={step.input} label="Input" />
      <JsonView value={step.output} label="Output" />
    </div>
  );
}

/** Steps in execution order, each a bar from its start for its duration (waits and retries show as such). */
function Timeline({
  steps,
  startedAt,
  onSelect,
}: {
  steps: StepState[];
  startedAt: string;
  onSelect(id: string): void;
}) {
  const origin = new Date(startedAt).getTime();
  // To the second: a row redraws when its step changes or a second has passed, not on every update.
  const now = Math.ceil(Date.now() / 1000) * 1000;
  const ends = steps.map((step) => (step.finishedAt ? new Date(step.finishedAt).getTime() : now));
  // Rounded up to two significant digits, so the scale (and every row) changes seldom.
  const raw = Math.max(1, ...ends.map((end) => end - origin));
  const unit = 10 ** Math.max(0, Math.floor(Math.log10(raw)) - 1);
  const span = Math.ceil(raw / unit) * unit;
  return (
    <section aria-labelledby="timeline-title">
      <h2 id="timeline-title">Timeline</h2>
      {steps.length === 0 ? (
        <p className="state empty">No steps yet.</p>
      ) : (
        <table className="list timeline">
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">Status</th>
              <th scope="col">Started</th>
              <th scope="col">Duration</th>
              <th scope="col">Attempt</th>
              <th scope="col" className="bar-col">
                <span className="visually-hidden">Bar</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {steps.map((step) => (
              <TimelineRow
                key={step.id}
                step={step}
                origin={origin}
                span={span}
                now={step.finishedAt ? 0 : now}
                onSelect={onSelect}
              />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const TimelineRow = memo(function TimelineRow({
  step,
  origin,
  span,
  now,
  onSelect,
}: {
  step: StepState;
  origin: number;
  span: number;
  /** Only for a step still open (its bar runs to now); 0 otherwise. */
  now: number;
  onSelect(id: string): void;
}) {
  const start = step.startedAt ? new Date(step.startedAt).getTime() : undefined;
  const end = step.finishedAt ? new Date(step.finishedAt).getTime() : now;
  const left = start === undefined ? 0 : ((start - origin) / span) * 100;
  const width = start === undefined ? 0 : Math.max(0.5, ((end - start) / span) * 100);
  return (
    <tr data-testid={`timeline-${step.nodeId}`} data-status={step.status}>
      <td>
        <button type="button" className="link" onClick={() => onSelect(step.nodeId)}>
          {step.nodeId}
        </button>{" "}
        <span className="subtle">{step.type}</span>
      </td>
      <td>
        <StatusBadge status={step.status} />
        {step.status === "WAITING" && step.waitingFor ? <span className="subtle"> for an event</span> : null}
        {step.status === "WAITING" && step.resumeAt ? (
          <span className="subtle"> until {formatTime(step.resumeAt)}</span>
        ) : null}
      </td>
      <td>{formatTime(step.startedAt)}</td>
      <td>{formatDuration(step.durationMs)}</td>
      <td>{step.attempt}</td>
      <td className="bar-col">
        <div className="bar-track">
          <div className="bar" style={{ left: `${left}%`, width: `${width}%`, background: statusColor(step.status) }} />
        </div>
      </td>
    </tr>
  );
});
