/**
 * One execution, live: its graph coloured by step status, a timeline of its
 * steps, the selected step's input, output and error, cancel / retry, a rerun
 * from the selected node once it is finished, links to the executions it
 * relates to (the one it reruns, its parent, its children, its reruns), and
 * while its workflow is paused a "paused" pill and a banner with Resume.
 */
import { type CSSProperties, memo, useDeferredValue, useEffect, useMemo, useState } from "react";
import { useMutation, useQuery } from "urql";
import { JsonView } from "../../components/JsonView.tsx";
import { ErrorMessage, Loading } from "../../components/States.tsx";
import { StatusBadge } from "../../components/StatusBadge.tsx";
import { WorkflowFlow } from "../../components/WorkflowFlow.tsx";
import { PausedPill } from "../../components/WorkflowPause.tsx";
import { graphql } from "../../graphql.ts";
import { readGraph } from "../../lib/graph.ts";
import { href } from "../../lib/router.ts";
import type { StepState } from "../../lib/seq-store.ts";
import { formatDuration, formatTime, statusColor } from "../../lib/status.ts";
import { ExecutionOrigins, FINAL_STATUSES, RelatedExecutions, useExecutionLinks } from "./ExecutionLinks.tsx";
import { useExecutionPause } from "./ExecutionPause.tsx";
import { RerunForm } from "./RerunForm.tsx";
import { useExecutionLive } from "./use-execution-live.ts";

const NO_STEPS: readonly StepState[] = [];
/** Steps that start other executions: when one changes, the list of children may have. */
const CALLING_TYPES: ReadonlySet<string> = new Set(["call_workflow", "for_each"]);

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
  const { snapshot } = live;
  const { steps, statuses, current } = snapshot;
  const status = current?.status ?? "PENDING";
  const pause = useExecutionPause(id, status);
  const selectedSteps = steps.filter((step) => step.nodeId === selected);
  // The timeline follows a render behind (time-sliced, interruptible), so the graph is drawn
  // first and its colours change at once, however many rows the timeline has.
  const timelineSteps = useDeferredValue(steps, NO_STEPS);
  const callingSteps = steps.filter((step) => CALLING_TYPES.has(step.type));
  const linksKey = [status, ...callingSteps.map((step) => `${step.id}@${step.seq}`)].join(" ");
  // biome-ignore lint/correctness/useExhaustiveDependencies: linksKey names every calling step.
  const stepNodes = useMemo(() => new Map(callingSteps.map((step) => [step.id, step.nodeId])), [linksKey]);
  const links = useExecutionLinks(id, linksKey);
  const selectedNode = selected === undefined ? undefined : graph.nodes.find((node) => node.id === selected);

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
        {pause.paused ? (
          <span data-testid="execution-paused">
            <span aria-hidden="true">·</span> <PausedPill label="paused" />
          </span>
        ) : null}
        <span className={`live-dot${live.stream === "live" ? "" : " off"}`} data-testid="stream-state">
          {live.stream}
        </span>
        <span className="actions">
          <button type="button" disabled={snapshot.finished || cancelState.fetching} onClick={() => cancel({ id })}>
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
        seq {snapshot.resumeAfter ?? "—"} ·{" "}
        <a href={href("executions", { workflow: execution.workflow.id })}>all executions of this workflow</a>
      </p>
      {pause.panel}
      <ExecutionOrigins state={links} />
      {current?.error ? <ErrorMessage error={current.error} /> : null}
      {live.error ? <ErrorMessage error={live.error} /> : null}
      {actionError ? <ErrorMessage error={actionError} /> : null}
      <div className="execution-grid">
        {offset !== 0 && !version.data ? (
          <Loading what="the graph" />
        ) : (
          <WorkflowFlow graph={graph} statuses={statuses} selected={selected} onSelect={setSelected} />
        )}
        <aside className="step-detail" aria-label="Step details">
          {selected ? (
            <>
              <h2>
                Node <code>{selected}</code>
              </h2>
              {FINAL_STATUSES.has(status) && selectedNode ? (
                <RerunForm
                  key={selected}
                  executionId={id}
                  nodeId={selected}
                  data={selectedNode.data}
                  version={execution.workflowVersion}
                />
              ) : null}
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
      <RelatedExecutions state={links} stepNodes={stepNodes} />
      <Timeline
        steps={timelineSteps}
        pending={timelineSteps !== steps}
        onSelect={setSelected}
        startedAt={current?.startedAt ?? execution.createdAt}
      />
    </section>
  );
}

function StepDetail({ step }: { step: StepState }) {
  return (
    <div className="step-block" data-testid={`step-detail-${step.nodeId}`}>
      <p>
        <StatusBadge status={step.status} /> attempt {step.attempt} · started {formatTime(step.startedAt)} ·{" "}
        {formatDuration(step.durationMs)}
        {step.resumeAt ? ` · due ${formatTime(step.resumeAt)}` : ""}
      </p>
      {step.error ? <ErrorMessage error={step.error} /> : null}
      {step.waitingFor !== undefined && step.waitingFor !== null ? (
        <JsonView value={step.waitingFor} label="Waiting for an event matching" />
      ) : null}
      <JsonView value={step.input} label="Input" />
      <JsonView value={step.output} label="Output" />
      <StartedExecutions output={step.output} />
    </div>
  );
}

/** How many started executions a step's details link to (all of them: "Child executions"). */
const STARTED_SHOWN = 10;

/** The executions a call_workflow (output.executionId) or for_each (output.results[].executionId) step started. */
function startedIds(output: unknown): string[] {
  if (typeof output !== "object" || output === null) return [];
  const { executionId, results } = output as { executionId?: unknown; results?: unknown };
  const ids = typeof executionId === "string" ? [executionId] : [];
  if (Array.isArray(results)) {
    for (const result of results) {
      const id = (result as { executionId?: unknown } | null)?.executionId;
      if (typeof id === "string") ids.push(id);
    }
  }
  return ids;
}

function StartedExecutions({ output }: { output: unknown }) {
  const ids = startedIds(output);
  if (ids.length === 0) return null;
  return (
    <p className="started" data-testid="step-started">
      Started{" "}
      {ids.slice(0, STARTED_SHOWN).map((id, index) => (
        <span key={id}>
          {index > 0 ? ", " : null}
          <a href={href(`executions/${id}`)}>
            <code>{id}</code>
          </a>
        </span>
      ))}
      {ids.length > STARTED_SHOWN ? ` and ${ids.length - STARTED_SHOWN} more (see Child executions)` : null}
    </p>
  );
}

/** A step's start and end in ms, read once per step object (the timeline reads them on every update). */
const parsedTimes = new WeakMap<StepState, { start: number; end: number }>();
function times(step: StepState): { start: number; end: number } {
  let known = parsedTimes.get(step);
  if (!known) {
    known = { start: Date.parse(step.startedAt ?? ""), end: Date.parse(step.finishedAt ?? "") };
    parsedTimes.set(step, known);
  }
  return known;
}

/** Date.now(), to the second, while `running`: what the bars of open steps run to. */
function useSecondClock(running: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);
  return now;
}

/**
 * Steps in execution order, each a bar from its start for its duration (waits and retries show
 * as such). The bars are placed by CSS from custom properties: each row holds its step's start
 * and end (ms from the execution's start), the table the scale (--span) and the clock (--now),
 * so a new scale or a tick of the clock redraws no row; a row renders again only when its step
 * changed.
 */
function Timeline({
  steps,
  pending,
  startedAt,
  onSelect,
}: {
  steps: readonly StepState[];
  /** Rows are still being drawn (the first render of a long timeline). */
  pending: boolean;
  startedAt: string;
  onSelect(id: string): void;
}) {
  const origin = new Date(startedAt).getTime();
  const running = steps.some((step) => step.startedAt && !step.finishedAt);
  const now = useSecondClock(running);
  let last = 1;
  for (const step of steps) {
    const end = step.finishedAt ? times(step).end : step.startedAt ? now : origin;
    last = Math.max(last, end - origin);
  }
  // Rounded up to two significant digits: a readable scale that changes seldom.
  const unit = 10 ** Math.max(0, Math.floor(Math.log10(last)) - 1);
  const span = Math.ceil(last / unit) * unit;
  const scale = { "--span": span, "--now": Math.max(0, now - origin) } as CSSProperties;
  return (
    <section aria-labelledby="timeline-title">
      <h2 id="timeline-title">Timeline</h2>
      {steps.length === 0 ? (
        pending ? (
          <Loading what="the timeline" />
        ) : (
          <p className="state empty">No steps yet.</p>
        )
      ) : (
        // Laid out as a grid, not as a table (styles.css): each row skips layout and paint while off
        // screen (content-visibility), which table rows cannot, so 300 changing rows cost what the
        // visible ones do.
        <table className="timeline" style={scale}>
          <thead>
            <tr className="timeline-row timeline-head">
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
              <TimelineRow key={step.id} step={step} origin={origin} onSelect={onSelect} />
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
  onSelect,
}: {
  step: StepState;
  origin: number;
  onSelect(id: string): void;
}) {
  const start = step.startedAt ? times(step).start - origin : undefined;
  const end = step.finishedAt ? times(step).end - origin : undefined;
  const bar =
    start === undefined
      ? undefined
      : ({ "--start": start, "--end": end ?? "var(--now)", background: statusColor(step.status) } as CSSProperties);
  return (
    <tr className="timeline-row" data-testid={`timeline-${step.nodeId}`} data-status={step.status}>
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
        <span className="bar-track">{bar ? <span className="bar" style={bar} /> : null}</span>
      </td>
    </tr>
  );
});
