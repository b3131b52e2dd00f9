/**
 * Whether this execution's workflow is paused, on the execution page: the workflow's paused and
 * pausedAt (paused while the status the page follows is live, which is what Execution.paused says), read with the page, again whenever the execution's status changes, after
 * a Pause / Resume from here, and every few seconds while the execution is live (a pause from
 * the workflows list, another tab or the API changes no execution row, so no subscription says
 * so). Shown as a "paused" pill beside the status and a banner with Resume.
 */
import { useEffect, useRef } from "react";
import { useQuery } from "urql";
import { ErrorMessage } from "../../components/States.tsx";
import { PAUSE_EFFECTS, PauseControl } from "../../components/WorkflowPause.tsx";
import { graphql } from "../../graphql.ts";
import { href } from "../../lib/router.ts";
import { formatTime } from "../../lib/status.ts";

const POLL_MS = 5000;
const LIVE_STATUSES: ReadonlySet<string> = new Set(["PENDING", "RUNNING"]);

const ExecutionPauseState = graphql(`
  query ExecutionPauseState($id: ID!) {
    execution(id: $id) {
      id
      workflow {
        id
        name
        paused
        pausedAt
      }
    }
  }
`);

export interface ExecutionPause {
  /** Live (by the status the page follows) and its workflow paused. */
  paused: boolean;
  /** The banner (with Resume), or a Pause action while the execution is live. */
  panel: React.ReactNode;
}

export function useExecutionPause(id: string, status: string): ExecutionPause {
  const [result, reexecute] = useQuery({
    query: ExecutionPauseState,
    variables: { id },
    requestPolicy: "network-only",
  });
  const live = LIVE_STATUSES.has(status);

  // Read again when the status changes (not on mounting: the query has just been sent).
  const lastStatus = useRef(status);
  useEffect(() => {
    if (lastStatus.current === status) return;
    lastStatus.current = status;
    reexecute({ requestPolicy: "network-only" });
  }, [status, reexecute]);

  useEffect(() => {
    if (!live || !result.data || result.fetching) return;
    const timer = setTimeout(() => reexecute({ requestPolicy: "network-only" }), POLL_MS);
    return () => clearTimeout(timer);
  }, [live, result.data, result.fetching, reexecute]);

  const workflow = result.data?.execution?.workflow;
  const paused = live && workflow?.paused === true;
  const readAgain = () => reexecute({ requestPolicy: "network-only" });
  let panel: React.ReactNode = null;
  if (result.error) panel = <ErrorMessage error={result.error} />;
  else if (workflow && paused) {
    panel = (
      <div className="pause-banner" role="status" data-testid="execution-paused-banner">
        <p>
          <strong>
            Workflow <a href={href(`workflows/${workflow.id}/edit`)}>{workflow.name}</a> paused
          </strong>{" "}
          since {formatTime(workflow.pausedAt)}: {PAUSE_EFFECTS}. This execution runs no further step until it is
          resumed.
        </p>
        <PauseControl workflow={workflow} onChanged={readAgain} />
      </div>
    );
  } else if (workflow && live) {
    panel = (
      <div className="pause-line">
        <PauseControl workflow={workflow} onChanged={readAgain} />
      </div>
    );
  }
  return { paused, panel };
}
