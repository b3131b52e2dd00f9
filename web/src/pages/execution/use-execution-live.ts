/**
 * Follows one execution over graphql-ws with `executionUpdated`, into an
 * ExecutionLiveStore (lib/seq-store.ts):
 *
 * 1. Subscribe without afterSeq: the server sends a SNAPSHOT (the execution
 *    and its current seq), then every change after it.
 * 2. On the snapshot, read the steps with a query; the store merges them per
 *    step by seq, so changes the stream delivers meanwhile are not undone.
 * 3. When the socket closes (a dropped connection, a server restart), subscribe
 *    again with afterSeq = the last seq received: the server replays exactly
 *    what was missed, from its change log.
 * 4. The stream completes at a final status; `follow()` (after a retry)
 *    subscribes again with afterSeq.
 */
import { stringifyDocument } from "@urql/core";
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from "react";
import { useClient } from "urql";
import { useWs } from "../../connection-context.ts";
import { graphql, type ResultOf, readFragment } from "../../graphql.ts";
import { ExecutionLiveStore, type Schedule } from "../../lib/seq-store.ts";

export const StepFields = graphql(`
  fragment StepFields on Step {
    id
    nodeId
    type
    status
    seq
    attempt
    input
    output
    error
    createdAt
    startedAt
    finishedAt
    durationMs
    resumeAt
    waitingFor
  }
`);

const ExecutionUpdated = graphql(
  `
  subscription ExecutionUpdated($id: ID!, $afterSeq: Int) {
    executionUpdated(id: $id, afterSeq: $afterSeq) {
      seq
      kind
      status
      nodeId
      execution {
        id
        status
        seq
        error
        startedAt
        finishedAt
    durationMs
      }
      step {
        ...StepFields
      }
    }
  }
`,
  [StepFields],
);

const ExecutionSteps = graphql(
  `
  query ExecutionSteps($id: ID!) {
    execution(id: $id) {
      id
      status
      seq
      error
      startedAt
      finishedAt
      durationMs
      steps {
        ...StepFields
      }
    }
  }
`,
  [StepFields],
);

type Update = ResultOf<typeof ExecutionUpdated>["executionUpdated"];

export type StreamState = "connecting" | "live" | "reconnecting" | "complete" | "error";

const frame: Schedule = (flush) => {
  if (typeof requestAnimationFrame === "function") requestAnimationFrame(flush);
  else setTimeout(flush, 16);
};

export function useExecutionLive(id: string) {
  const ws = useWs();
  const client = useClient();
  const store = useMemo(() => new ExecutionLiveStore(frame), []);
  const [stream, setStream] = useState<StreamState>("connecting");
  const [error, setError] = useState<string>();
  const [epoch, setEpoch] = useState(0);
  // One immutable snapshot per flush (at most one a frame, however many changes arrived).
  const snapshot = useSyncExternalStore(
    useCallback((listener) => store.subscribe(listener), [store]),
    () => store.snapshot(),
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: epoch subscribes again (after a retry).
  useEffect(() => {
    let disposed = false;
    let unsubscribe: (() => void) | undefined;
    const query = stringifyDocument(ExecutionUpdated);

    const loadSteps = async () => {
      const result = await client.query(ExecutionSteps, { id }, { requestPolicy: "network-only" }).toPromise();
      if (disposed) return;
      const execution = result.data?.execution;
      if (result.error || !execution) {
        setError(result.error?.message ?? "Execution not found");
        return;
      }
      const { steps, ...rest } = execution;
      store.mergeExecutionRead(rest);
      store.mergeSteps(readFragment(StepFields, steps));
    };

    const start = () => {
      unsubscribe?.();
      unsubscribe = ws.subscribe<{ executionUpdated: Update }>(
        { query, variables: { id, afterSeq: store.resumeAfter ?? null } },
        {
          next: (result) => {
            if (disposed) return;
            if (result.errors?.length) {
              setError(result.errors.map((e) => e.message).join("; "));
              return;
            }
            const update = result.data?.executionUpdated;
            if (!update) return;
            setStream("live");
            const isSnapshot = update.kind === "SNAPSHOT";
            store.apply({ ...update, step: update.step ? readFragment(StepFields, update.step) : null });
            if (isSnapshot) void loadSteps();
          },
          error: (e) => {
            if (disposed) return;
            setStream("error");
            setError(
              Array.isArray(e)
                ? e.map((x: { message: string }) => x.message).join("; ")
                : String((e as Error)?.message ?? e),
            );
          },
          complete: () => {
            if (!disposed) setStream(store.finished ? "complete" : "reconnecting");
          },
        },
      );
    };

    // A closed socket: subscribe again from the last seq seen (graphql-ws reconnects under it).
    const offClosed = ws.on("closed", () => {
      if (disposed || store.finished) return;
      setStream("reconnecting");
      start();
    });
    start();
    return () => {
      disposed = true;
      offClosed();
      unsubscribe?.();
    };
  }, [ws, client, id, store, epoch]);

  return {
    store,
    snapshot,
    stream,
    error,
    /** Subscribe again after the stream completed (a retried execution goes on). */
    follow: () => {
      setStream("connecting");
      setEpoch((n) => n + 1);
    },
  };
}
