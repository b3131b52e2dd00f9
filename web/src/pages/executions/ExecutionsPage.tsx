/**
 * Executions, newest first, a page at a time through cursors (the list may
 * hold 100,000 rows: nothing loads them all), filtered by workflow and status,
 * and live: executionsChanged brings new executions to the first page and
 * new statuses to every row shown, each change applied only if its seq is newer.
 * A live execution of a paused workflow shows "paused" beside its status (read
 * with the page: a pause changes no row and no subscription announces it; the
 * document cache reads the list again after a pause or resume in this tab).
 */
import { useId, useState } from "react";
import { useQuery, useSubscription } from "urql";
import { Empty, ErrorMessage, Loading } from "../../components/States.tsx";
import { StatusBadge } from "../../components/StatusBadge.tsx";
import { PausedPill } from "../../components/WorkflowPause.tsx";
import { graphql, type ResultOf, readFragment } from "../../graphql.ts";
import { href, navigate } from "../../lib/router.ts";
import { formatDuration, formatTime } from "../../lib/status.ts";

const PAGE_SIZE = 25;
const STATUSES = ["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "SKIPPED"] as const;
type Status = (typeof STATUSES)[number];

const ExecutionRow = graphql(`
  fragment ExecutionRow on Execution {
    id
    status
    paused
    seq
    createdAt
    durationMs
    workflowVersion
    workflow {
      id
      name
    }
  }
`);

const ExecutionsQuery = graphql(
  `
  query Executions($first: Int, $after: String, $status: ExecutionStatus, $workflowId: ID) {
    executions(first: $first, after: $after, status: $status, workflowId: $workflowId) {
      edges {
        node {
          ...ExecutionRow
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
    workflows(first: 100) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`,
  [ExecutionRow],
);

const ExecutionsChanged = graphql(
  `
  subscription ExecutionsChanged($workflowId: ID) {
    executionsChanged(workflowId: $workflowId) {
      ...ExecutionRow
    }
  }
`,
  [ExecutionRow],
);

type Row = ResultOf<typeof ExecutionRow>;

export function ExecutionsPage({ workflowId, status }: { workflowId?: string; status?: string }) {
  const statusFilter = STATUSES.includes(status as Status) ? (status as Status) : undefined;
  // The cursors of the pages before this one (Newer goes back one).
  const [cursors, setCursors] = useState<(string | null)[]>([]);
  const after = cursors.at(-1) ?? null;
  const workflowSelect = useId();
  const statusSelect = useId();

  const [result] = useQuery({
    query: ExecutionsQuery,
    variables: { first: PAGE_SIZE, after, status: statusFilter ?? null, workflowId: workflowId ?? null },
  });
  // Live changes since the page opened: the newest state of each execution by seq.
  const [live] = useSubscription(
    { query: ExecutionsChanged, variables: { workflowId: workflowId ?? null } },
    (rows: Map<string, Row> | undefined, data) => {
      const next = new Map(rows);
      const row = readFragment(ExecutionRow, data.executionsChanged);
      const known = next.get(row.id);
      if (!known || known.seq < row.seq) next.set(row.id, row);
      return next;
    },
  );

  const pageRows = (result.data?.executions.edges ?? []).map((edge) => readFragment(ExecutionRow, edge.node));
  const liveRows = live.data ?? new Map<string, Row>();
  const shownIds = new Set(pageRows.map((row) => row.id));
  const fresh =
    cursors.length === 0
      ? [...liveRows.values()]
          .filter((row) => !shownIds.has(row.id) && (!statusFilter || row.status === statusFilter))
          .filter((row) => !pageRows[0] || row.createdAt >= pageRows[0].createdAt)
          .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      : [];
  const rows = [...fresh, ...pageRows].map((row) => {
    const newer = liveRows.get(row.id);
    return newer && newer.seq > row.seq ? newer : row;
  });

  const setFilter = (key: "workflow" | "status", value: string) => {
    setCursors([]);
    navigate("executions", { workflow: workflowId, status: statusFilter, [key]: value || undefined });
  };

  return (
    <section aria-labelledby="executions-title">
      <div className="title-row">
        <h1 id="executions-title">Executions</h1>
        <span className={`live-dot${live.error ? " off" : ""}`} title={live.error ? live.error.message : "Live"}>
          {live.error ? "not live" : "live"}
        </span>
      </div>
      <div className="filters">
        <label htmlFor={workflowSelect}>Workflow</label>
        <select id={workflowSelect} value={workflowId ?? ""} onChange={(e) => setFilter("workflow", e.target.value)}>
          <option value="">All workflows</option>
          {result.data?.workflows.edges.map(({ node }) => (
            <option key={node.id} value={node.id}>
              {node.name}
            </option>
          ))}
        </select>
        <label htmlFor={statusSelect}>Status</label>
        <select id={statusSelect} value={statusFilter ?? ""} onChange={(e) => setFilter("status", e.target.value)}>
          <option value="">Any status</option>
          {STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </div>
      {result.fetching && !result.data ? <Loading what="executions" /> : null}
      {result.error ? <ErrorMessage error={result.error} /> : null}
      {result.data && rows.length === 0 ? (
        <Empty>
          No executions{statusFilter || workflowId ? " match these filters" : " yet"}.{" "}
          <a href={href("events")}>Send an event</a> to start one.
        </Empty>
      ) : null}
      {rows.length > 0 ? (
        <table className="list">
          <thead>
            <tr>
              <th scope="col">Execution</th>
              <th scope="col">Workflow</th>
              <th scope="col">Status</th>
              <th scope="col">Started</th>
              <th scope="col">Duration</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id} data-testid="execution-row" data-status={row.status}>
                <td>
                  <a href={href(`executions/${row.id}`)}>
                    <code>{row.id.slice(0, 8)}</code>
                  </a>
                </td>
                <td>
                  {row.workflow.name} <span className="subtle">v{row.workflowVersion}</span>
                </td>
                <td>
                  <StatusBadge status={row.status} />
                  {row.paused && (row.status === "PENDING" || row.status === "RUNNING") ? (
                    <span data-testid="execution-row-paused">
                      {" "}
                      <span aria-hidden="true">·</span> <PausedPill label="paused" />
                    </span>
                  ) : null}
                </td>
                <td>{formatTime(row.createdAt)}</td>
                <td>{formatDuration(row.durationMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <nav className="pager" aria-label="Pages">
        <button type="button" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
          ← Newer
        </button>
        <span className="subtle">Page {cursors.length + 1}</span>
        <button
          type="button"
          disabled={!result.data?.executions.pageInfo.hasNextPage}
          onClick={() => {
            const end = result.data?.executions.pageInfo.endCursor;
            if (end) setCursors((c) => [...c, end]);
          }}
        >
          Older →
        </button>
      </nav>
    </section>
  );
}
