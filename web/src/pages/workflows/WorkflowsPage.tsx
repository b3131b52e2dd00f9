/**
 * Saved workflows: active toggle, paused state with Pause (confirmed) / Resume, version, the
 * status of their latest executions.
 */
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { Empty, ErrorMessage, Loading } from "../../components/States.tsx";
import { StatusBadge } from "../../components/StatusBadge.tsx";
import { PauseControl, PausedPill } from "../../components/WorkflowPause.tsx";
import { graphql } from "../../graphql.ts";
import { href } from "../../lib/router.ts";
import { formatTime } from "../../lib/status.ts";

const WorkflowsQuery = graphql(`
  query Workflows($after: String) {
    workflows(first: 50, after: $after) {
      edges {
        node {
          id
          name
          description
          isActive
          paused
          pausedAt
          version
          updatedAt
          executions(first: 5) {
            edges {
              node {
                id
                status
                createdAt
              }
            }
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const SetActive = graphql(`
  mutation SetActive($id: ID!, $isActive: Boolean!) {
    updateWorkflow(id: $id, input: { isActive: $isActive }) {
      id
      isActive
      version
    }
  }
`);

export function WorkflowsPage() {
  // The cursors of the pages before this one.
  const [cursors, setCursors] = useState<string[]>([]);
  const [result, reexecute] = useQuery({ query: WorkflowsQuery, variables: { after: cursors.at(-1) ?? null } });
  // A pause changes no execution row: read the list again (its paused states) after one.
  const readAgain = () => reexecute({ requestPolicy: "network-only" });
  const [setActiveState, setActive] = useMutation(SetActive);
  const workflows = result.data?.workflows.edges.map((edge) => edge.node) ?? [];
  return (
    <section aria-labelledby="workflows-title">
      <div className="title-row">
        <h1 id="workflows-title">Workflows</h1>
        <a className="button" href={href("workflows/new")}>
          New workflow
        </a>
      </div>
      {setActiveState.error ? <ErrorMessage error={setActiveState.error} /> : null}
      {result.fetching && !result.data ? <Loading what="workflows" /> : null}
      {result.error ? <ErrorMessage error={result.error} /> : null}
      {result.data && workflows.length === 0 ? (
        <Empty>
          No workflows yet. <a href={href("workflows/new")}>Create one</a>.
        </Empty>
      ) : null}
      {workflows.length > 0 ? (
        <table className="list">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Active</th>
              <th scope="col">Version</th>
              <th scope="col">Recent executions</th>
              <th scope="col">Updated</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {workflows.map((workflow) => (
              <tr key={workflow.id} data-testid={`workflow-${workflow.name}`}>
                <td>
                  <a href={href(`workflows/${workflow.id}/edit`)}>{workflow.name}</a>
                  {workflow.paused ? (
                    <>
                      {" "}
                      <PausedPill pausedAt={workflow.pausedAt} />
                    </>
                  ) : null}
                  {workflow.description ? <div className="subtle">{workflow.description}</div> : null}
                </td>
                <td>
                  <label className="switch">
                    <input
                      type="checkbox"
                      checked={workflow.isActive}
                      aria-label={`${workflow.name} active`}
                      onChange={(e) => setActive({ id: workflow.id, isActive: e.target.checked })}
                    />
                    <span>{workflow.isActive ? "Active" : "Inactive"}</span>
                  </label>
                </td>
                <td>v{workflow.version}</td>
                <td>
                  {workflow.executions.edges.length === 0 ? (
                    <span className="subtle">none</span>
                  ) : (
                    <span className="recent">
                      {workflow.executions.edges.map(({ node }) => (
                        <a key={node.id} href={href(`executions/${node.id}`)} title={formatTime(node.createdAt)}>
                          <StatusBadge status={node.status} />
                        </a>
                      ))}
                    </span>
                  )}
                </td>
                <td>{formatTime(workflow.updatedAt)}</td>
                <td>
                  <div className="row-actions">
                    <a href={href("executions", { workflow: workflow.id })}>Executions</a>
                    <PauseControl workflow={workflow} onChanged={readAgain} named />
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {cursors.length > 0 || result.data?.workflows.pageInfo.hasNextPage ? (
        <nav className="pager" aria-label="Pages">
          <button type="button" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
            ← Previous
          </button>
          <span className="subtle">Page {cursors.length + 1}</span>
          <button
            type="button"
            disabled={!result.data?.workflows.pageInfo.hasNextPage}
            onClick={() => {
              const end = result.data?.workflows.pageInfo.endCursor;
              if (end) setCursors((c) => [...c, end]);
            }}
          >
            Next →
          </button>
        </nav>
      ) : null}
    </section>
  );
}
