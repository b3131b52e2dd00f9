/** Send an event (or only test which workflows it would start), and follow the executions it started. */
import { useId, useState } from "react";
import { useClient, useMutation } from "urql";
import { ErrorMessage } from "../../components/States.tsx";
import { StatusBadge } from "../../components/StatusBadge.tsx";
import { graphql, type ResultOf } from "../../graphql.ts";
import { href } from "../../lib/router.ts";

export const SAMPLE_PAYLOADS: { label: string; payload: unknown }[] = [
  { label: "Hot LinkedIn lead (Lead routing)", payload: { lead: { source: "LinkedIn", score: 90, title: "CEO" } } },
  { label: "Cold lead (matches nothing)", payload: { lead: { source: "Newsletter", score: 10, title: "Intern" } } },
  { label: "Hot room (Temperature control)", payload: { temp: 35 } },
];

const SendEvent = graphql(`
  mutation SendEvent($payload: JSON!, $idempotencyKey: String) {
    sendEvent(payload: $payload, idempotencyKey: $idempotencyKey) {
      matched
      duplicate
      event {
        id
      }
            executions {
        id
        status
        workflow {
          id
          name
        }
      }
      resumed {
        id
        nodeId
        executionId
      }
    }
  }
`);

/** The dry run: what an event would start, resume (wait_for_event steps) and cancel (cancelOn). */
export const ExplainEvent = graphql(`
  query ExplainEvent($payload: JSON!) {
    explainEvent(payload: $payload) {
      starts {
        id
        name
        version
      }
      resumes {
        id
        nodeId
        executionId
        execution {
          workflow {
            name
          }
        }
      }
      cancels {
        id
        workflow {
          name
        }
      }
    }
  }
`);

export type Explanation = ResultOf<typeof ExplainEvent>["explainEvent"];

/** What a dry run found, as a list a person reads. */
export function ExplanationView({ explanation }: { explanation: Explanation }) {
  const { starts, resumes, cancels } = explanation;
  if (starts.length + resumes.length + cancels.length === 0) {
    return <p className="state empty">This event would start, resume and cancel nothing.</p>;
  }
  return (
    <ul>
      {starts.map((w) => (
        <li key={`s${w.id}`}>
          Starts {w.name} <span className="subtle">v{w.version}</span>
        </li>
      ))}
      {resumes.map((step) => (
        <li key={`r${step.id}`}>
          Resumes <a href={href(`executions/${step.executionId}`)}>{step.execution.workflow.name}</a> at{" "}
          <code>{step.nodeId}</code>
        </li>
      ))}
      {cancels.map((execution) => (
        <li key={`c${execution.id}`}>
          Cancels <a href={href(`executions/${execution.id}`)}>{execution.workflow.name}</a>
        </li>
      ))}
    </ul>
  );
}

export function SendEventPage() {
  const payloadId = useId();
  const keyId = useId();
  const client = useClient();
  const [text, setText] = useState(() => JSON.stringify(SAMPLE_PAYLOADS[0]?.payload, null, 2));
  const [idempotencyKey, setIdempotencyKey] = useState("");
  const [parseError, setParseError] = useState<string>();
  const [simulated, setSimulated] = useState<Explanation>();
  const [simulateError, setSimulateError] = useState<string>();
  const [sent, send] = useMutation(SendEvent);

  const parse = (): unknown => {
    try {
      const value = JSON.parse(text);
      setParseError(undefined);
      return value;
    } catch (error) {
      setParseError(`The payload is not valid JSON: ${(error as Error).message}`);
      return undefined;
    }
  };

  return (
    <section aria-labelledby="events-title">
      <h1 id="events-title">Send an event</h1>
      <p className="subtle">Every active workflow whose trigger matches the event starts an execution.</p>
      <fieldset className="samples">
        <legend>Sample payloads</legend>
        {SAMPLE_PAYLOADS.map((sample) => (
          <button key={sample.label} type="button" onClick={() => setText(JSON.stringify(sample.payload, null, 2))}>
            {sample.label}
          </button>
        ))}
      </fieldset>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const payload = parse();
          if (payload === undefined) return;
          await send({ payload, idempotencyKey: idempotencyKey.trim() || null });
        }}
      >
        <label htmlFor={payloadId}>Payload (JSON)</label>
        <textarea
          id={payloadId}
          className="code"
          rows={10}
          spellCheck={false}
          value={text}
          aria-invalid={parseError !== undefined}
          onChange={(e) => setText(e.target.value)}
        />
        <label htmlFor={keyId}>Idempotency key (optional: the same key twice starts nothing new)</label>
        <input id={keyId} value={idempotencyKey} onChange={(e) => setIdempotencyKey(e.target.value)} />
        <div className="actions">
          <button type="submit" disabled={sent.fetching}>
            Send event
          </button>
          <button
            type="button"
            onClick={async () => {
              const payload = parse();
              if (payload === undefined) return;
              const result = await client
                .query(ExplainEvent, { payload }, { requestPolicy: "network-only" })
                .toPromise();
              setSimulateError(result.error?.message);
              setSimulated(result.data?.explainEvent);
            }}
          >
            Test (start nothing)
          </button>
        </div>
      </form>
      {parseError ? <ErrorMessage error={parseError} /> : null}
      {simulateError ? <ErrorMessage error={simulateError} /> : null}
      {simulated ? (
        <div className="result" data-testid="simulate-result">
          <h2>This event would</h2>
          <ExplanationView explanation={simulated} />
        </div>
      ) : null}
      {sent.error ? <ErrorMessage error={sent.error} /> : null}
      {sent.data ? (
        <div className="result" data-testid="send-result" aria-live="polite">
          <h2>
            {sent.data.sendEvent.duplicate
              ? "Already received (same idempotency key): nothing new started"
              : `Started ${sent.data.sendEvent.matched} execution${sent.data.sendEvent.matched === 1 ? "" : "s"}`}
          </h2>
          <ul>
            {sent.data.sendEvent.executions.map((execution) => (
              <li key={execution.id}>
                <a href={href(`executions/${execution.id}`)}>{execution.workflow.name}</a>{" "}
                <StatusBadge status={execution.status} />
              </li>
            ))}
            {sent.data.sendEvent.resumed.map((step) => (
              <li key={step.id}>
                Resumed <a href={href(`executions/${step.executionId}`)}>a waiting execution</a> at{" "}
                <code>{step.nodeId}</code>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}
