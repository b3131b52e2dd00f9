/**
 * How an execution relates to others: the one it reruns, the one whose step
 * started it (call_workflow, for_each), the executions its own steps started
 * and its reruns, each a link, a page at a time.
 *
 * Read with a query of its own, read again when something here may have
 * changed (`refreshKey`: the execution's status and its calling steps), and
 * every few seconds while a child or a rerun shown is not finished (their
 * changes reach this page through no subscription).
 */
import { type ReactNode, useEffect, useRef, useState } from "react";
import { useQuery } from "urql";
import { ErrorMessage } from "../../components/States.tsx";
import { StatusBadge } from "../../components/StatusBadge.tsx";
import { graphql, type ResultOf } from "../../graphql.ts";
import { href } from "../../lib/router.ts";
import { formatTime } from "../../lib/status.ts";

/** Rows shown per list (one more is asked for, to know whether there is a next page). */
const PAGE = 25;
const POLL_MS = 3000;
export const FINAL_STATUSES: ReadonlySet<string> = new Set(["SUCCEEDED", "FAILED", "CANCELLED", "SKIPPED"]);

const ExecutionLinksQuery = graphql(`
  query ExecutionLinks($id: ID!, $childFirst: Int!, $childOffset: Int!, $rerunFirst: Int!, $rerunOffset: Int!) {
    execution(id: $id) {
      id
      callDepth
      parentStepId
      childIndex
      parent {
        id
        workflow {
          id
          name
        }
      }
      rerunFromNodeId
      rerunOf {
        id
      }
      children(first: $childFirst, offset: $childOffset) {
        id
        status
        childIndex
        parentStepId
        workflowId
        workflow {
          id
          name
        }
      }
      reruns(first: $rerunFirst, offset: $rerunOffset) {
        id
        status
        createdAt
        rerunFromNodeId
      }
    }
  }
`);

/** The node of the parent's step that started this execution (the API names the step by its id). */
const ParentSteps = graphql(`
  query ParentSteps($id: ID!) {
    execution(id: $id) {
      id
      steps {
        id
        nodeId
      }
    }
  }
`);

type Links = NonNullable<ResultOf<typeof ExecutionLinksQuery>["execution"]>;

function executionLink(id: string) {
  return (
    <a href={href(`executions/${id}`)}>
      <code>{id}</code>
    </a>
  );
}

/** The links of execution `id`, read again when `refreshKey` changes, and the pages of its lists. */
export function useExecutionLinks(id: string, refreshKey: string) {
  const [childOffset, setChildOffset] = useState(0);
  const [rerunOffset, setRerunOffset] = useState(0);
  const [result, reexecute] = useQuery({
    query: ExecutionLinksQuery,
    variables: { id, childFirst: PAGE + 1, childOffset, rerunFirst: PAGE + 1, rerunOffset },
  });
  const links = result.data?.execution ?? undefined;
  const open = links
    ? [...links.children.slice(0, PAGE), ...links.reruns.slice(0, PAGE)].some((e) => !FINAL_STATUSES.has(e.status))
    : false;

  // A new key (not the first: the query has just been read) reads it again.
  const lastKey = useRef(refreshKey);
  useEffect(() => {
    if (lastKey.current === refreshKey) return;
    lastKey.current = refreshKey;
    reexecute({ requestPolicy: "network-only" });
  }, [refreshKey, reexecute]);
  useEffect(() => {
    if (!open) return;
    const timer = setInterval(() => reexecute({ requestPolicy: "network-only" }), POLL_MS);
    return () => clearInterval(timer);
  }, [open, reexecute]);

  return { links, error: links ? undefined : result.error, childOffset, setChildOffset, rerunOffset, setRerunOffset };
}

export type ExecutionLinksState = ReturnType<typeof useExecutionLinks>;

/** The executions this one's steps started and its reruns, a page of each (nothing when it has none). */
export function RelatedExecutions({
  state,
  stepNodes,
}: {
  state: ExecutionLinksState;
  /** This execution's steps that start others: step id → node id. */
  stepNodes: ReadonlyMap<string, string>;
}) {
  const { links, childOffset, setChildOffset, rerunOffset, setRerunOffset } = state;
  if (!links) return null;
  return (
    <>
      {links.children.length > 0 || childOffset > 0 ? (
        <RelatedList
          title="Child executions"
          testId="children"
          offset={childOffset}
          onOffset={setChildOffset}
          rows={links.children}
          head={["Execution", "Status", "Index", "Node", "Workflow"]}
          cells={(child) => (
            <>
              <td>{executionLink(child.id)}</td>
              <td>
                <StatusBadge status={child.status} />
              </td>
              <td>{child.childIndex ?? "—"}</td>
              <td>
                {child.parentStepId ? <code>{stepNodes.get(child.parentStepId) ?? child.parentStepId}</code> : "—"}
              </td>
              <td>
                <a href={href(`workflows/${child.workflowId}/edit`)}>{child.workflow.name}</a>
              </td>
            </>
          )}
        />
      ) : null}
      {links.reruns.length > 0 || rerunOffset > 0 ? (
        <RelatedList
          title="Reruns"
          testId="reruns"
          offset={rerunOffset}
          onOffset={setRerunOffset}
          rows={links.reruns}
          head={["Execution", "Status", "From node", "Created"]}
          cells={(rerun) => (
            <>
              <td>{executionLink(rerun.id)}</td>
              <td>
                <StatusBadge status={rerun.status} />
              </td>
              <td>{rerun.rerunFromNodeId ? <code>{rerun.rerunFromNodeId}</code> : "—"}</td>
              <td>{formatTime(rerun.createdAt)}</td>
            </>
          )}
        />
      ) : null}
    </>
  );
}

/** "Rerun of …" and "Started by …", when this execution is either. */
export function ExecutionOrigins({ state }: { state: ExecutionLinksState }) {
  if (state.error) return <ErrorMessage error={state.error} />;
  return state.links ? <Origins links={state.links} /> : null;
}

function Origins({ links }: { links: Links }) {
  const [parentSteps] = useQuery({
    query: ParentSteps,
    variables: { id: links.parent?.id ?? "" },
    pause: !links.parent || !links.parentStepId,
  });
  const parentNode = parentSteps.data?.execution?.steps.find((step) => step.id === links.parentStepId)?.nodeId;
  if (!links.rerunOf && !links.parent) return null;
  return (
    <ul className="origins" data-testid="execution-origins">
      {links.rerunOf ? (
        <li data-testid="rerun-of">
          Rerun of {executionLink(links.rerunOf.id)}
          {links.rerunFromNodeId ? (
            <>
              {" "}
              from node <code>{links.rerunFromNodeId}</code>
            </>
          ) : null}
        </li>
      ) : null}
      {links.parent ? (
        <li data-testid="started-by">
          Started by {executionLink(links.parent.id)} <span className="subtle">({links.parent.workflow.name})</span>
          {links.parentStepId ? (
            <>
              {" "}
              · node <code>{parentNode ?? links.parentStepId}</code>
            </>
          ) : null}
          {links.childIndex !== null && links.childIndex !== undefined ? ` · index ${links.childIndex}` : null}
          {` · depth ${links.callDepth}`}
        </li>
      ) : null}
    </ul>
  );
}

function RelatedList<Row extends { id: string }>({
  title,
  testId,
  rows,
  offset,
  onOffset,
  head,
  cells,
}: {
  title: string;
  testId: string;
  /** A page and one row more when there is a next page. */
  rows: readonly Row[];
  offset: number;
  onOffset(offset: number): void;
  head: string[];
  /** The row's cells (td). */
  cells(row: Row): ReactNode;
}) {
  const shown = rows.slice(0, PAGE);
  const more = rows.length > PAGE;
  const titleId = `${testId}-title`;
  return (
    <section aria-labelledby={titleId} className="related" data-testid={testId}>
      <h2 id={titleId}>
        {title}{" "}
        <span className="subtle">
          {shown.length === 0
            ? "none here"
            : `${offset + 1}–${offset + shown.length}${more ? "" : ` of ${offset + shown.length}`}`}
        </span>
      </h2>
      <table className="list compact">
        <thead>
          <tr>
            {head.map((label) => (
              <th key={label} scope="col">
                {label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map((row) => (
            <tr key={row.id} data-testid={`${testId}-row`}>
              {cells(row)}
            </tr>
          ))}
        </tbody>
      </table>
      {offset > 0 || more ? (
        <div className="pager">
          <button type="button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - PAGE))}>
            Previous
          </button>
          <button type="button" disabled={!more} onClick={() => onOffset(offset + PAGE)}>
            Next
          </button>
        </div>
      ) : null}
    </section>
  );
}
