/**
 * The node handler contract. A handler is a plain object: a type name, a zod
 * schema for its `data`, and `execute`, which turns the node's (templated) data
 * into an outcome. Handlers reach the outside world only through `services`.
 */
import type { z } from "zod";
import type { GraphNode } from "../graph.js";
import type { JsonLogicRule } from "../json-logic.js";

/** What a step ends with. The runner handles each kind in an exhaustive switch. */
export type StepOutcome =
  /** Finished. `next` lists the successors to run; undefined means all of them. */
  | { kind: "done"; output: unknown; next?: readonly string[] }
  /** Park the step as WAITING until `until`; it succeeds when the time comes. */
  | { kind: "wait"; until: Date; output?: unknown }
  /**
   * Wait for an event satisfying `match` (rendered), received in the execution's
   * window (after its trigger, or `lookbackMs` before it), until `until` if set.
   */
  | { kind: "awaitEvent"; wait: EventWaitRequest; output?: unknown }
  /**
   * Start child executions of another workflow (call_workflow, for_each) and, unless the request
   * says not to wait, wait until they end (store/children-wait.ts).
   */
  | { kind: "startChildren"; children: ChildrenRequest; output?: unknown }
  /** Failed. Retryable failures are retried per the handler's retry policy. */
  | { kind: "fail"; error: string; retryable: boolean; output?: unknown };

export interface EventWaitRequest {
  match: JsonLogicRule;
  /** The rule as written (templates unrendered): tells which equality to file the wait under. */
  unrendered: JsonLogicRule;
  until: Date | undefined;
  lookbackMs: number;
  /** On timeout the step fails instead of succeeding with `timedOut: true`. */
  failOnTimeout: boolean;
}

/** What a step starts other workflows for: one call, or one child per item of a list. */
export type ChildrenRequest =
  | {
      mode: "call";
      workflowId: string;
      payload: unknown;
      /** false: the step succeeds at once with the child's id. */
      wait: boolean;
      /** "continue": a failed child does not fail the step, whose output says how it ended. */
      onChildFailure: "fail" | "continue";
    }
  | {
      mode: "for_each";
      workflowId: string;
      /** The rendered list, stored once: each item runs as a child with payload {item, index, parent}. */
      items: readonly unknown[];
      maxConcurrency: number;
      /** Failed items tolerated before the step fails (a percentage already applied to the count). */
      toleratedFailures: number;
    };

export interface RetryPolicy {
  /** Total attempts, the first included. */
  attempts: number;
  /** Delay before the second attempt; doubles on each attempt after that. */
  backoffMs: number;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  /** Sent as JSON when defined. */
  body?: unknown;
  timeoutMs: number;
  /** Aborts the request (the step's execution was cancelled). */
  signal?: AbortSignal;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  contentType: string | undefined;
  durationMs: number;
}

/** The outside world as handlers see it; the runner supplies real implementations. */
export interface HandlerServices {
  /** Stores (idempotently, per step) and publishes a notification. */
  notify(notification: { toRole: string; message: string }): Promise<void>;
  /** Sends one HTTP request (no retries: the runner retries the step). */
  http(request: HttpRequest): Promise<HttpResponse>;
  now(): Date;
}

export interface HandlerInput<Data> {
  /** The node's data after templating, parsed by the handler's schema. */
  data: Data;
  node: GraphNode;
  execution: { id: string; workflowId: string; workflowName: string; payload: unknown };
  /**
   * Outputs of the steps that already succeeded, by node id. Loaded only when the
   * node's data mentions them ({{steps.…}}, $steps) or the handler sets
   * `readsStepOutputs`; otherwise empty, which saves a query per step.
   */
  steps: Readonly<Record<string, { output: unknown }>>;
  /** 1 on the first try. */
  attempt: number;
  /** Attempts the retry policy allows in all; `attempt === maxAttempts` is the last one. */
  maxAttempts: number;
  /** Targets of the node's own outgoing edges. */
  edgeTargets: readonly string[];
  services: HandlerServices;
  /**
   * Aborts when the step's execution is cancelled while the handler runs; a
   * handler that waits on the outside world passes it on (http_call gives it to
   * its request). Given to handlers that do not run in memory; absent when
   * nothing can cancel the run.
   */
  signal?: AbortSignal;
}

/** A place in `data` that names another node (validated to exist; control may flow there). */
export interface NodeReference {
  path: string;
  nodeId: string;
}

/** A JSONLogic rule inside `data` (checked for well-formedness on save). */
export interface RuleReference {
  path: string;
  rule: JsonLogicRule;
}

export interface NodeHandler<Data = unknown> {
  readonly type: string;
  readonly description: string;
  readonly dataSchema: z.ZodType<Data>;
  /**
   * Which top-level keys of `data` are templates rendered before `execute`.
   * Omitted: all of them. Branch conditions, for one, are JSONLogic, not templates.
   */
  readonly templatedKeys?: readonly string[];
  /** Set when `execute` reads `input.steps` without the node's data mentioning them. */
  readonly readsStepOutputs?: boolean;
  /**
   * Set when `execute` touches nothing outside the engine's own rows: its only
   * effects are its outcome and the notifications it sends, which are stored
   * with it. The runner may then run it straight after its predecessor, in
   * memory, and record both in one statement; if that record does not happen
   * (a lost worker), the step simply runs again.
   */
  readonly runsInMemory?: boolean;
  /** Retries for retryable failures; omitted: one attempt. */
  retryPolicy?(data: Data): RetryPolicy;
  references?(data: Data): NodeReference[];
  rules?(data: Data): RuleReference[];
  execute(input: HandlerInput<Data>): Promise<StepOutcome>;
}

/**
 * Erases a handler's data type so handlers of different types fit in one list.
 * Safe because the runner always parses data with the handler's own schema first.
 */
export function defineHandler<Data>(handler: NodeHandler<Data>): NodeHandler<unknown> {
  return handler as unknown as NodeHandler<unknown>;
}
