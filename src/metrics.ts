/**
 * Prometheus metrics (prom-client), served at /metrics. Engine changes are
 * counted as they are published, so every process counts what it commits.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { ChangePublisher, PublishedChange, WorkflowBacklog } from "./engine/index.js";

/** One read serves the gauges that share it: prom-client collects them one after the other in a scrape. */
function oneReadPerScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let reading: Promise<T> | undefined;
  return () => {
    reading ??= read().finally(() => setTimeout(() => (reading = undefined), 100));
    return reading;
  };
}

export class Metrics {
  readonly registry = new Registry();
  readonly eventsReceived = new Counter({
    name: "workflow_events_received_total",
    help: "Events received (POST /events, sendEvent)",
    registers: [this.registry],
  });
  readonly triggerFailures = new Counter({
    name: "workflow_trigger_failures_total",
    help: "Triggers that failed on an event and so did not match it: reason budget (the rule needed more work than one evaluation may do) or error",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly executions = new Counter({
    name: "workflow_executions_total",
    help: "Executions entering a status: PENDING counts starts; SUCCEEDED, FAILED, CANCELLED and SKIPPED count finishes",
    labelNames: ["status"] as const,
    registers: [this.registry],
  });
  readonly stepDuration = new Histogram({
    name: "workflow_step_duration_seconds",
    help: "Time a step's handler took, by node type and outcome",
    labelNames: ["type", "outcome"] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly scheduleFirings = new Counter({
    name: "workflow_schedule_firings_total",
    help: "Schedule instants handled by the clock: STARTED, SKIPPED or BUFFERED (overlap), MISSED (older than the catch-up window; one per gap)",
    labelNames: ["status"] as const,
    registers: [this.registry],
  });
  readonly scheduleLateness = new Histogram({
    name: "workflow_schedule_lateness_seconds",
    help: "From a schedule's instant to its firing (instants not missed)",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly queueWait = new Histogram({
    name: "workflow_job_queue_wait_seconds",
    help: "From when a job became due (enqueued, or its delay ended) to when a worker started it; first runs only",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly retentionDeleted = new Counter({
    name: "workflow_retention_deleted_total",
    help: "Rows the retention pruner deleted, by kind: executions, steps, notifications, changes (change log), waits, events, firings, flow",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly retentionBatchDuration = new Histogram({
    name: "workflow_retention_batch_duration_seconds",
    help: "How long one retention batch took (its transaction: how long it held its row locks), by what it pruned",
    labelNames: ["kind"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly subscriptionsOpen = new Gauge({
    name: "workflow_graphql_subscriptions_open",
    help: "GraphQL subscriptions open right now (graphql-ws and SSE)",
    registers: [this.registry],
  });

  /**
   * `capacity`: per workflow with flow control, executions waiting in line and slots in use
   * (read from PostgreSQL when scraped).
   */
  constructor(
    queueDepth: () => Promise<number>,
    capacity: () => Promise<{ workflowId: string; waiting: number; slots: number }[]> = async () => [],
    backlog: () => Promise<WorkflowBacklog[]> = async () => [],
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: "workflow_" });
    new Gauge({
      name: "workflow_queue_depth",
      help: "Step jobs waiting, delayed or running",
      registers: [this.registry],
      async collect() {
        this.set(await queueDepth().catch(() => Number.NaN));
      },
    });
    const read = oneReadPerScrape(capacity);
    new Gauge({
      name: "workflow_capacity_waiting",
      help: "Executions waiting in line for capacity (concurrency or rate limit), per workflow",
      labelNames: ["workflow_id"] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const row of await read().catch(() => [])) this.set({ workflow_id: row.workflowId }, row.waiting);
      },
    });
    new Gauge({
      name: "workflow_capacity_slots_in_use",
      help: "Concurrency slots held (executions with a step PENDING or RUNNING, one per limit), per workflow",
      labelNames: ["workflow_id"] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const row of await read().catch(() => [])) this.set({ workflow_id: row.workflowId }, row.slots);
      },
    });
    this.backlogGauges(backlog);
  }

  /**
   * Backlog gauges for autoscaling workers (store/backlog.ts): per workflow, open executions and
   * their steps by status (PENDING: a worker could start it now), and the age of the oldest
   * runnable step. Only workflows with open executions have series.
   */
  private backlogGauges(backlog: () => Promise<WorkflowBacklog[]>): void {
    const read = oneReadPerScrape(backlog);
    const gauge = (
      name: string,
      help: string,
      set: (g: Gauge<"workflow_id" | "status">, row: WorkflowBacklog) => void,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ["workflow_id", "status"] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const row of await read().catch(() => [])) set(this, row);
        },
      });
    gauge("workflow_backlog_executions", "Executions PENDING or RUNNING, per workflow", (g, r) => {
      g.set({ workflow_id: r.workflowId, status: "PENDING" }, r.pendingExecutions);
      g.set({ workflow_id: r.workflowId, status: "RUNNING" }, r.runningExecutions);
    });
    gauge(
      "workflow_backlog_steps",
      "Steps a worker could start now (PENDING: due, not waiting for capacity) or is running (RUNNING), per workflow",
      (g, r) => {
        g.set({ workflow_id: r.workflowId, status: "PENDING" }, r.pendingSteps);
        g.set({ workflow_id: r.workflowId, status: "RUNNING" }, r.runningSteps);
      },
    );
    gauge(
      "workflow_backlog_oldest_pending_seconds",
      "How long the oldest step a worker could start has waited for one (0: none), per workflow",
      (g, r) => g.set({ workflow_id: r.workflowId }, r.oldestPendingSeconds),
    );
  }

  /** A publisher that counts execution status changes, then hands them on. */
  counting(publisher: ChangePublisher): ChangePublisher {
    return {
      publishChanges: async (changes: readonly PublishedChange[]) => {
        for (const change of changes) if (change.type === "execution") this.executions.inc({ status: change.status });
        await publisher.publishChanges(changes);
      },
    };
  }
}
