/**
 * A saved workflow's paused state, at the top of its editor: while paused, a banner saying since
 * when and what that means, with Resume; otherwise a Pause action (confirmed first). Read with the
 * page and again after each Pause / Resume (no subscription announces a pause), and every few
 * seconds (a pause from another tab or the API).
 */
import { useEffect, useRef } from "react";
import { useQuery } from "urql";
import { ErrorMessage } from "../../components/States.tsx";
import { PAUSE_EFFECTS, PauseControl } from "../../components/WorkflowPause.tsx";
import { graphql } from "../../graphql.ts";
import { formatTime } from "../../lib/status.ts";

const POLL_MS = 5000;

const WorkflowPauseState = graphql(`
  query WorkflowPauseState($id: ID!) {
    workflow(id: $id) {
      id
      name
      paused
      pausedAt
    }
  }
`);

export function PauseBanner({ workflowId, onChanged }: { workflowId: string; onChanged?: () => void }) {
  const [result, reexecute] = useQuery({
    query: WorkflowPauseState,
    variables: { id: workflowId },
    requestPolicy: "network-only",
  });
  // The last workflow read stays shown if a later read finds none (deleted meanwhile), so an
  // error from Resume or Pause is not unmounted with it.
  const last = useRef(result.data?.workflow);
  if (result.data?.workflow) last.current = result.data.workflow;
  const workflow = result.data?.workflow ?? last.current;
  const gone = result.data !== undefined && !result.data.workflow;

  useEffect(() => {
    if (!result.data || result.fetching) return;
    const timer = setTimeout(() => reexecute({ requestPolicy: "network-only" }), POLL_MS);
    return () => clearTimeout(timer);
  }, [result.data, result.fetching, reexecute]);

  if (!workflow) return result.error ? <ErrorMessage error={result.error} /> : null;
  const problem = result.error ? (
    <ErrorMessage error={result.error} />
  ) : gone ? (
    <ErrorMessage error="This workflow no longer exists." />
  ) : null;
  const changed = () => {
    reexecute({ requestPolicy: "network-only" });
    onChanged?.();
  };
  return workflow.paused ? (
    <div className="pause-banner" role="status" data-testid="workflow-paused">
      <p>
        <strong>Paused</strong> since {formatTime(workflow.pausedAt)}: {PAUSE_EFFECTS}.
      </p>
      <PauseControl workflow={workflow} onChanged={changed} />
      {problem}
    </div>
  ) : (
    <div className="pause-line" data-testid="workflow-running">
      <PauseControl workflow={workflow} onChanged={changed} />
      {problem}
    </div>
  );
}
