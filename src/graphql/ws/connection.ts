/**
 * One client's graphql-transport-ws connection: the handshake (connection_init
 * within a deadline, the API key check, connection_ack), ping and pong, and its
 * operations, each until it completes, fails, the client completes it or the
 * socket closes. Results go out through sendCorked (one write per socket per
 * turn) without waiting for each write to finish; only a client that stops
 * reading makes its streams wait (for `drain`).
 */
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { type Message, MessageType, parseMessage, type SubscribePayload } from "graphql-ws";
import type WebSocket from "ws";
import type { Logger } from "../../logger.js";
import { flushNow, sendCorked } from "./corked-writes.js";
import type { Operation, Operations } from "./operations.js";
import * as protocol from "./protocol.js";

const { CloseCode } = protocol;

export interface ConnectionOptions {
  operations: Operations;
  /** Whether this client may use the API, from its connection_init payload and upgrade request. */
  authorize(connectionParams: Readonly<Record<string, unknown>> | undefined, request: IncomingMessage): boolean;
  /** How long a client has to send connection_init. */
  initTimeoutMs: number;
  /** Operations the client may have open at once (GRAPHQL_MAX_OPERATIONS_PER_SOCKET). */
  maxOperations: number;
  logger: Logger;
}

/** One operation of the client, while it runs. */
interface Run {
  stopped: boolean;
  /** Ends the operation's source stream at once (set once it has one). */
  stopSource?: () => void;
}

export class GraphQLConnection {
  private initReceived = false;
  private acknowledged = false;
  private connectionParams: Readonly<Record<string, unknown>> | undefined;
  private readonly runs = new Map<string, Run>();
  private readonly initTimer: NodeJS.Timeout;
  private readonly transport: Socket;

  constructor(
    private readonly ws: WebSocket,
    private readonly request: IncomingMessage,
    private readonly options: ConnectionOptions,
  ) {
    this.transport = request.socket as Socket;
    ws.on("message", (data) => {
      // A throw here would escape into ws's parser and take the server down: end this socket only.
      try {
        this.receive(String(data));
      } catch (error) {
        options.logger.error({ err: error }, "WebSocket message handling failed");
        ws.terminate();
      }
    });
    ws.once("close", () => this.closed());
    this.initTimer = setTimeout(() => {
      if (!this.initReceived)
        this.close(CloseCode.ConnectionInitialisationTimeout, "Connection initialisation timeout");
    }, options.initTimeoutMs);
    if (ws.protocol !== protocol.GRAPHQL_TRANSPORT_WS_PROTOCOL) {
      this.close(CloseCode.SubprotocolNotAcceptable, "Subprotocol not acceptable");
    }
  }

  private receive(text: string): void {
    let message: Message;
    try {
      message = parseMessage(text);
    } catch {
      this.close(CloseCode.BadRequest, "Invalid message received");
      return;
    }
    switch (message.type) {
      case MessageType.ConnectionInit:
        this.init(message.payload);
        return;
      case MessageType.Ping:
        this.send(protocol.pong(message.payload));
        return;
      case MessageType.Pong:
        return;
      case MessageType.Subscribe:
        this.subscribe(message.id, message.payload);
        return;
      case MessageType.Complete:
        this.stop(message.id);
        return;
      default:
        this.close(CloseCode.BadRequest, `Unexpected message of type ${message.type} received`);
    }
  }

  private init(payload: Record<string, unknown> | null | undefined): void {
    if (this.initReceived) {
      this.close(CloseCode.TooManyInitialisationRequests, "Too many initialisation requests");
      return;
    }
    this.initReceived = true;
    clearTimeout(this.initTimer);
    this.connectionParams = payload ?? undefined;
    if (!this.options.authorize(this.connectionParams, this.request)) {
      this.close(CloseCode.Forbidden, "Forbidden");
      return;
    }
    this.acknowledged = true;
    this.send(protocol.connectionAck());
  }

  private subscribe(id: string, payload: SubscribePayload): void {
    if (!this.acknowledged) {
      this.close(CloseCode.Unauthorized, "Unauthorized");
      return;
    }
    if (this.runs.has(id)) {
      this.close(CloseCode.SubscriberAlreadyExists, `Subscriber for ${id} already exists`);
      return;
    }
    if (this.runs.size >= this.options.maxOperations) {
      // That operation is refused; the socket and its other operations go on.
      const message = `this connection already has ${this.runs.size} operations open, the limit (GRAPHQL_MAX_OPERATIONS_PER_SOCKET): complete some, or open another connection`;
      this.send(protocol.error(id, [{ message, extensions: { code: "TOO_MANY_OPERATIONS" } }]));
      return;
    }
    const run: Run = { stopped: false };
    this.runs.set(id, run);
    void this.run(id, run, payload).finally(() => {
      if (this.runs.get(id) === run) this.runs.delete(id);
    });
  }

  /** The client completed an operation: end it, with no message back. */
  private stop(id: string): void {
    const run = this.runs.get(id);
    this.runs.delete(id);
    if (run) end(run);
  }

  private async run(id: string, run: Run, payload: SubscribePayload): Promise<void> {
    const { operations } = this.options;
    try {
      const prepared = await operations.prepare(payload, {
        request: this.request,
        socket: this.ws,
        connectionParams: this.connectionParams,
      });
      if (run.stopped) return;
      if (!prepared.ok) {
        this.send(
          protocol.error(
            id,
            prepared.errors.map((e) => e.toJSON()),
          ),
        );
        return;
      }
      // One result (a query, a mutation, a subscription that could not open), or a stream of them.
      let single: string | undefined;
      if (prepared.kind !== "subscription") {
        single = await operations.execute(prepared);
      } else {
        const source = await operations.subscribe(prepared);
        if (!("next" in source)) single = operations.serialize(source);
        else if (!(await this.stream(id, run, prepared, source))) return;
      }
      if (run.stopped) return;
      if (single !== undefined) this.send(protocol.next(protocol.nextBody(single), protocol.nextTail(id)));
      this.send(protocol.complete(id));
    } catch (error) {
      // Masked (and logged with an id) like any unexpected error; the connection lives on.
      if (!run.stopped) this.send(protocol.error(id, [operations.clientError(error).toJSON()]));
    }
  }

  /** Sends each event's result until the source ends (true) or the run is stopped (false). */
  private async stream(id: string, run: Run, operation: Operation, source: AsyncIterator<unknown>): Promise<boolean> {
    // Not awaited (the client is gone or done); a source that fails to end has nothing to tell it.
    run.stopSource = () => void Promise.resolve(source.return?.()).catch(() => {});
    const tail = protocol.nextTail(id);
    try {
      while (!run.stopped) {
        const item = await source.next();
        if (item.done) return true;
        const body = await this.options.operations.eventResult(operation, item.value);
        if (run.stopped) break;
        if (!this.send(protocol.next(body, tail))) await this.drained();
        else if (!hasBuffered(source)) flushNow(this.transport);
      }
      return false;
    } finally {
      await source.return?.();
    }
  }

  /** False when the client is not keeping up (wait for drained() before sending more). */
  private send(message: string | Buffer): boolean {
    return sendCorked(this.ws, this.transport, message);
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.transport.off("drain", done);
        this.ws.off("close", done);
        resolve();
      };
      this.transport.once("drain", done);
      this.ws.once("close", done);
    });
  }

  private close(code: number, reason: string): void {
    this.ws.close(code, protocol.closeReason(reason));
  }

  private closed(): void {
    clearTimeout(this.initTimer);
    for (const run of this.runs.values()) end(run);
    this.runs.clear();
  }
}

function end(run: Run): void {
  run.stopped = true;
  run.stopSource?.();
}

/** Whether `source` already holds its next items (only the bus's queues can tell). */
function hasBuffered(source: AsyncIterator<unknown>): boolean {
  const { buffered } = source as { buffered?: unknown };
  return typeof buffered === "number" && buffered > 0;
}
