/**
 * "Rerun from here": a finished execution run again from the selected node as
 * a new execution (rerunExecution), the node's data editable as JSON for that
 * rerun only. The text starts as the node's data in the version the execution
 * runs; left so (or emptied), no `input` is sent and the rerun keeps the data
 * this execution ran with. The server checks new data as a save would and
 * names what is wrong (`input.<field>`), shown beside the form. On success the
 * page of the new execution opens.
 */
import { useId, useState } from "react";
import { useMutation } from "urql";
import { describeError } from "../../components/States.tsx";
import { graphql } from "../../graphql.ts";
import { navigate } from "../../lib/router.ts";
import { parseJsonText } from "../editor/json-fields.tsx";

const RerunExecution = graphql(`
  mutation RerunExecution($id: ID!, $fromNodeId: ID!, $input: JSON) {
    rerunExecution(id: $id, fromNodeId: $fromNodeId, input: $input) {
      id
      status
    }
  }
`);

function dataText(data: unknown): string {
  return data === undefined ? "" : JSON.stringify(data, null, 2);
}

export function RerunForm({
  executionId,
  nodeId,
  data,
  version,
}: {
  executionId: string;
  nodeId: string;
  /** The node's data in the pinned version (undefined: the graph has no such node). */
  data: unknown;
  version: number;
}) {
  const [open, setOpen] = useState(false);
  const initial = dataText(data);
  const [text, setText] = useState(initial);
  const [problem, setProblem] = useState<string>();
  const [state, rerun] = useMutation(RerunExecution);
  const formId = useId();

  const submit = async () => {
    const parsed = parseJsonText(text, undefined);
    if ("error" in parsed) {
      setProblem(parsed.error);
      return;
    }
    setProblem(undefined);
    // Unchanged (or empty): no input, so the rerun keeps the data this execution ran with.
    const changed = parsed.value !== undefined && JSON.stringify(parsed.value) !== JSON.stringify(data);
    const result = await rerun({ id: executionId, fromNodeId: nodeId, input: changed ? parsed.value : null });
    const id = result.data?.rerunExecution?.id;
    if (result.error) setProblem(describeError(result.error));
    else if (id) navigate(`executions/${id}`);
    else setProblem("The server started no rerun.");
  };

  return (
    <div className="rerun" data-testid="rerun">
      <button
        type="button"
        aria-expanded={open}
        aria-controls={formId}
        className={open ? undefined : "primary"}
        onClick={() => setOpen((was) => !was)}
      >
        Rerun from here
      </button>
      {open ? (
        <form
          id={formId}
          aria-label={`Rerun from ${nodeId}`}
          onSubmit={(event) => {
            event.preventDefault();
            void submit();
          }}
        >
          <label htmlFor={`${formId}-data`}>Node data for the rerun (JSON)</label>
          <p className="hint" id={`${formId}-hint`}>
            As in version {version}. Left as it is, or emptied, the rerun uses the data this execution ran with;
            changed, it replaces the node's data for the rerun only. The steps before <code>{nodeId}</code> are copied,
            it and what follows run again, as a new execution.
          </p>
          <textarea
            id={`${formId}-data`}
            className="code"
            rows={Math.min(14, Math.max(4, text.split("\n").length + 1))}
            spellCheck={false}
            value={text}
            aria-describedby={`${formId}-hint${problem ? ` ${formId}-problem` : ""}`}
            aria-invalid={problem ? true : undefined}
            onChange={(event) => {
              setText(event.target.value);
              setProblem(undefined);
            }}
          />
          {problem ? (
            <p className="field-problem" id={`${formId}-problem`} role="alert" data-testid="rerun-problem">
              {problem}
            </p>
          ) : null}
          <div className="actions">
            <button type="submit" className="primary" disabled={state.fetching}>
              {state.fetching ? "Starting…" : "Start rerun"}
            </button>
            <button
              type="button"
              disabled={text === initial}
              onClick={() => {
                setText(initial);
                setProblem(undefined);
              }}
            >
              Reset data
            </button>
          </div>
        </form>
      ) : null}
    </div>
  );
}
