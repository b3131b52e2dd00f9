/**
 * Resumable GraphQL over SSE (yoga's "distinct connections" mode: one
 * operation per request with Accept: text/event-stream). A subscription whose
 * events have ids (executionUpdated: the change's seq) gets them sent as
 * `id: <seq>` lines, and a browser's EventSource, reconnecting on its own,
 * sends the last one back as Last-Event-ID: the subscription resumes after it
 * when the operation gave no afterSeq. Subscriptions without ids keep yoga's
 * own SSE responses.
 *
 * Resolvers see only the EventIds in their context, nothing of HTTP.
 */
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import { type EventResult, sseResponse } from "./sse-response.js";

/** A transport that can resume a stream by event id, as the resolvers see it. */
export interface EventIds {
  /**
   * Declares that this operation's events carry ids, and returns the id the
   * client last received (Last-Event-ID), or undefined on a first connection.
   */
  resume(): number | undefined;
  /** The id of the event being resolved: called once per event, in order. */
  note(id: number): void;
}

class RequestEventIds implements EventIds {
  declared = false;
  /** Ids of events resolved and not yet written: the writer takes one per result, in order. */
  private readonly unwritten: number[] = [];

  constructor(private readonly lastEventId: number | undefined) {}

  resume(): number | undefined {
    this.declared = true;
    return this.lastEventId;
  }

  note(id: number): void {
    this.unwritten.push(id);
  }

  /**
   * The id of the result being written. One event makes one result, in
   * order; a stream that fails makes one last result of no event, which has
   * no id (nothing was noted for it).
   */
  take(): number | undefined {
    return this.unwritten.shift();
  }
}

/** The yoga plugin: event ids in the context of SSE requests, and a writer with `id:` lines for those that use them. */
export function useResumableSse(): Plugin<{ eventIds?: EventIds }> {
  const byRequest = new WeakMap<Request, RequestEventIds>();
  return {
    onContextBuilding({ context, extendContext }) {
      const { request } = context as { request?: unknown };
      if (!(request instanceof Request) || !acceptsEventStream(request)) return;
      const ids = new RequestEventIds(lastEventId(request));
      byRequest.set(request, ids);
      extendContext({ eventIds: ids });
    },
    onResultProcess({ request, result, setResultProcessor }) {
      // Runs after yoga's own choice (user plugins come after it); only a stream that declared ids is taken over.
      const ids = byRequest.get(request);
      if (!ids?.declared || !isAsyncIterable(result)) return;
      setResultProcessor(
        (results, fetchAPI) => sseResponse(results as AsyncIterable<EventResult>, fetchAPI, () => ids.take()),
        "text/event-stream",
      );
    },
  };
}

function acceptsEventStream(request: Request): boolean {
  return request.headers.get("accept")?.toLowerCase().includes("text/event-stream") ?? false;
}

/** Last-Event-ID as a seq; anything else was not sent by this server and is ignored. */
function lastEventId(request: Request): number | undefined {
  const value = request.headers.get("last-event-id")?.trim();
  return value && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}
