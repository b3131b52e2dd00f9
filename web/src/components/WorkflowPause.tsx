/**
 * Pausing a workflow (pauseWorkflow / resumeWorkflow), shared by the workflows list, the editor
 * and the execution page. Pausing is a big operator action (no event matches, the schedules
 * stop, every live execution holds before its next step), so Pause asks to be confirmed;
 * Resume does not. Both are idempotent on the server. An error from either stays on screen
 * (role="alert") until the next attempt succeeds.
 *
 * Pausing changes no execution row, so no subscription announces it: whoever shows a paused
 * state reads it again through `onChanged` after the mutation.
 */
import { useEffect, useId, useRef, useState } from "react";
import { type CombinedError, useMutation } from "urql";
import { graphql } from "../graphql.ts";
import { formatTime } from "../lib/status.ts";
import { ErrorMessage } from "./States.tsx";

const PauseWorkflow = graphql(`
  mutation PauseWorkflow($id: ID!) {
    pauseWorkflow(id: $id) {
      id
      paused
      pausedAt
    }
  }
`);

const ResumeWorkflow = graphql(`
  mutation ResumeWorkflow($id: ID!) {
    resumeWorkflow(id: $id) {
      id
      paused
      pausedAt
    }
  }
`);

/** What pausing does, in the words every page uses. */
export const PAUSE_EFFECTS = "no events match, schedules stopped, running executions hold before their next step";

export interface PausableWorkflow {
  id: string;
  name: string;
  paused: boolean;
  pausedAt?: string | null;
}

/** The two mutations, their shared busy state and the last error (cleared by a success). */
export function useWorkflowPause(onChanged?: () => void) {
  const [pauseState, pause] = useMutation(PauseWorkflow);
  const [resumeState, resume] = useMutation(ResumeWorkflow);
  const [error, setError] = useState<CombinedError>();
  const run = async (action: (variables: { id: string }) => Promise<{ error?: CombinedError }>, id: string) => {
    const result = await action({ id });
    setError(result.error);
    // Read again even after an error: the workflow may have changed anyway (another tab).
    onChanged?.();
    return !result.error;
  };
  return {
    busy: pauseState.fetching || resumeState.fetching,
    error,
    pause: (id: string) => run(pause, id),
    resume: (id: string) => run(resume, id),
  };
}

/** A small "Paused" pill (with the time it was paused as its title). */
export function PausedPill({ pausedAt, label = "Paused" }: { pausedAt?: string | null; label?: string }) {
  return (
    <span className="paused-pill" title={pausedAt ? `Paused since ${formatTime(pausedAt)}` : undefined}>
      {label}
    </span>
  );
}

/**
 * Pause (asks first) or Resume for one workflow. `named` puts the workflow's name in the
 * buttons' accessible names (several on one page: the workflows list).
 */
export function PauseControl({
  workflow,
  onChanged,
  named = false,
}: {
  workflow: PausableWorkflow;
  onChanged?: () => void;
  named?: boolean;
}) {
  const { busy, error, pause, resume } = useWorkflowPause(onChanged);
  const [confirming, setConfirming] = useState(false);
  const questionId = useId();
  const suffix = named ? ` ${workflow.name}` : "";
  // Focus follows the question: to its safe answer when it opens, back to Pause when it closes
  // (Keep running, Escape, a pause done: the same button then reads Resume on the list).
  const keepRef = useRef<HTMLButtonElement>(null);
  const toggleRef = useRef<HTMLButtonElement>(null);
  const moveFocus = useRef(false);
  useEffect(() => {
    if (!moveFocus.current) return;
    if (confirming) keepRef.current?.focus();
    else if (toggleRef.current) {
      toggleRef.current.focus();
      moveFocus.current = false;
    }
  }, [confirming]);
  const ask = (open: boolean) => {
    moveFocus.current = true;
    setConfirming(open);
  };
  return (
    <div className="pause-control">
      {workflow.paused ? (
        <button
          ref={toggleRef}
          type="button"
          disabled={busy}
          aria-label={`Resume workflow${suffix}`}
          onClick={() => void resume(workflow.id)}
        >
          Resume workflow
        </button>
      ) : confirming ? (
        <fieldset
          className="pause-confirm"
          aria-labelledby={questionId}
          onKeyDown={(e) => {
            if (e.key === "Escape") ask(false);
          }}
        >
          <legend id={questionId}>
            Pause {workflow.name}? Then {PAUSE_EFFECTS}.
          </legend>
          <span className="pause-confirm-buttons">
            <button
              type="button"
              className="danger"
              disabled={busy}
              aria-label={`Yes, pause${suffix}`}
              onClick={async () => {
                if (await pause(workflow.id)) ask(false);
              }}
            >
              Yes, pause
            </button>
            <button ref={keepRef} type="button" disabled={busy} onClick={() => ask(false)}>
              Keep running
            </button>
          </span>
        </fieldset>
      ) : (
        <button ref={toggleRef} type="button" aria-label={`Pause workflow${suffix}…`} onClick={() => ask(true)}>
          Pause workflow…
        </button>
      )}
      {error ? <ErrorMessage error={error} /> : null}
    </div>
  );
}
