/**
 * The GraphQL side of a WebSocket operation, apart from the socket: parse and
 * validate through yoga's envelop (the same limits, document cache and context
 * as over HTTP), then run it.
 *
 * Queries and mutations run through envelop's execute. A subscription's source
 * stream is opened per subscriber (each has its own snapshot, replay and
 * position), but an event is executed and serialized once for all subscribers
 * of the same operation: subscribers of one stream receive the same event
 * object (one parsed bus message), and every subscriber may see the same data
 * (an API key grants all or nothing), so the first subscriber's result serves
 * the rest. With a thousand subscribers that is one execution instead of a
 * thousand.
 */
import type { IncomingMessage } from "node:http";
import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  GraphQLError,
  getOperationAST,
  type OperationTypeNode,
} from "graphql";
import type { SubscribePayload } from "graphql-ws";
import type WebSocket from "ws";
import { exceedsJsonSize, tooLargeResult } from "../response-size.js";
import type { Yoga } from "../yoga.js";
import { nextBody } from "./protocol.js";

export type MaskError = (error: unknown) => Error;

type Enveloped = ReturnType<Yoga["getEnveloped"]>;

export interface Operation {
  args: ExecutionArgs;
  kind: OperationTypeNode;
  /** Equal for two subscriptions exactly when they ask the same (see SharedResults.keyFor). */
  sharingKey: string;
  /** envelop's execute: yoga's plugins (masking, limits) around graphql's. */
  executeWithPlugins: Enveloped["execute"];
}

export type Prepared = { ok: false; errors: readonly GraphQLError[] } | ({ ok: true } & Operation);

export interface Transport {
  request: IncomingMessage;
  socket: WebSocket;
  connectionParams: Readonly<Record<string, unknown>> | undefined;
}

export class Operations {
  private readonly shared = new SharedResults();

  constructor(
    private readonly yoga: Yoga,
    private readonly maskError: MaskError,
    /** The largest result one subscription event may carry (queries and mutations: yoga's plugin). */
    private readonly maxResultBytes: number,
  ) {}

  async prepare(payload: SubscribePayload, transport: Transport): Promise<Prepared> {
    const enveloped = this.yoga.getEnveloped({
      req: transport.request,
      socket: transport.socket,
      connectionParams: transport.connectionParams,
      params: payload,
    });
    let document: DocumentNode;
    try {
      document = enveloped.parse(payload.query);
    } catch (error) {
      return { ok: false, errors: [this.clientError(error)] };
    }
    const errors = enveloped.validate(enveloped.schema, document);
    if (errors.length > 0) return { ok: false, errors };
    const operation = getOperationAST(document, payload.operationName);
    if (!operation) return { ok: false, errors: [new GraphQLError("Unable to identify operation")] };
    const args: ExecutionArgs = {
      schema: enveloped.schema,
      document,
      operationName: payload.operationName,
      variableValues: payload.variables,
      contextValue: await enveloped.contextFactory(),
    };
    return {
      ok: true,
      args,
      kind: operation.operation,
      sharingKey: this.shared.keyFor(document, payload),
      executeWithPlugins: enveloped.execute,
    };
  }

  /** A query or mutation: its result, serialized (yoga's plugins have masked its errors). */
  async execute(operation: Operation): Promise<string> {
    const result = (await operation.executeWithPlugins(operation.args)) as ExecutionResult | AsyncIterable<unknown>;
    // Incremental delivery (@defer, @stream) is not enabled on this server.
    if (isAsyncIterable(result)) throw new Error("an incremental result over WebSocket");
    return JSON.stringify(result);
  }

  /**
   * A subscription's source stream, or the errors that kept it from opening
   * (masked like every other error a client gets).
   */
  async subscribe(operation: Operation): Promise<AsyncIterator<unknown> | ExecutionResult> {
    try {
      const source = await createSourceEventStream(operation.args);
      if (isAsyncIterable(source)) return source[Symbol.asyncIterator]();
      return this.masked(source);
    } catch (error) {
      return { errors: [this.clientError(error)] };
    }
  }

  /** The `next` message body for one event and operation: computed once, shared by its subscribers. */
  eventResult(operation: Operation, event: unknown): Promise<Buffer> {
    return this.shared.get(event, operation.sharingKey, async () => {
      const result = await execute({ ...operation.args, rootValue: event });
      const limited = exceedsJsonSize(result, this.maxResultBytes) ? tooLargeResult(this.maxResultBytes) : result;
      return nextBody(JSON.stringify(this.masked(limited)));
    });
  }

  serialize(result: ExecutionResult): string {
    return JSON.stringify(this.masked(result));
  }

  private masked(result: ExecutionResult): ExecutionResult {
    if (!result.errors?.length) return result;
    return { ...result, errors: result.errors.map((e) => this.maskError(e) as GraphQLError) };
  }

  /** An error as the client sees it: masked (and logged with an id) unless meant for the client. */
  clientError(error: unknown): GraphQLError {
    const masked = this.maskError(error);
    return masked instanceof GraphQLError ? masked : new GraphQLError(masked.message);
  }
}

/**
 * `next` message bodies by event and operation. Keyed weakly by the event: an
 * entry lives as long as the event object does (until every subscriber has
 * had it), with no expiry to tend.
 */
class SharedResults {
  private readonly byEvent = new WeakMap<object, Map<string, Promise<Buffer>>>();
  private readonly documentIds = new WeakMap<DocumentNode, number>();
  private nextDocumentId = 1;

  /** Equal for two subscriptions exactly when they ask the same: same document (yoga caches them by text), operation and variables. */
  keyFor(document: DocumentNode, payload: SubscribePayload): string {
    let id = this.documentIds.get(document);
    if (id === undefined) {
      id = this.nextDocumentId++;
      this.documentIds.set(document, id);
    }
    return `${id}\u0000${payload.operationName ?? ""}\u0000${JSON.stringify(payload.variables ?? {})}`;
  }

  get(event: unknown, key: string, compute: () => Promise<Buffer>): Promise<Buffer> {
    if (typeof event !== "object" || event === null) return compute();
    let results = this.byEvent.get(event);
    if (!results) {
      results = new Map();
      this.byEvent.set(event, results);
    }
    let result = results.get(key);
    if (!result) {
      result = compute();
      results.set(key, result);
    }
    return result;
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}
