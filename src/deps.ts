/**
 * The composition root: builds every dependency from the config, in the mode
 * the config says (production: PostgreSQL + Redis; embedded: PGlite and
 * in-process adapters), and knows how to close them all. Entry points and tests
 * call it; nothing else creates connections.
 */
import type { Bus } from "./bus/bus.js";
import { ALL } from "./bus/topics.js";
import type { Config } from "./config.js";
import type { Db } from "./db/client.js";
import {
  Admissions,
  backlogByWorkflow,
  type Clock,
  capacityByWorkflow,
  createHandlerRegistry,
  decideWaits,
  type HandlerRegistry,
  type NodeHandler,
  Pruner,
  Reconciler,
  RunningCancellations,
  retentionSettings,
  StepRunner,
  systemClock,
  WorkflowCache,
} from "./engine/index.js";
import { createGotHttp } from "./http-client/got-http.js";
import { NetworkGuard } from "./http-client/network-guard.js";
import type { QueueAdapter } from "./infrastructure/types.js";
import { createLogger, type Logger } from "./logger.js";
import { Metrics } from "./metrics.js";
import type { ServiceDeps } from "./services/deps.js";
import { TriggerCache } from "./services/trigger-cache.js";
import { startTelemetry } from "./telemetry/start.js";

export interface Deps {
  config: Config;
  logger: Logger;
  db: Db;
  registry: HandlerRegistry;
  queue: QueueAdapter;
  bus: Bus;
  services: ServiceDeps;
  runner: StepRunner;
  metrics: Metrics;
  /** Whether the database and the queue answer (for /readyz). */
  checkReady(): Promise<Record<string, boolean>>;
  /** Starts consuming step jobs and reconciling; for worker processes. */
  startWorker(): Promise<void>;
  /** Stop taking jobs, let running steps finish, then close every connection. */
  close(): Promise<void>;
}

export interface DepsOptions {
  handlers?: readonly NodeHandler[];
  clock?: Clock;
  logger?: Logger;
}

export async function createDeps(config: Config, options: DepsOptions = {}): Promise<Deps> {
  const logger = options.logger ?? createLogger(config);
  const clock = options.clock ?? systemClock;
  // Traces only when the OTEL_* variables ask for them; otherwise the SDK is never loaded.
  const telemetry = await startTelemetry(config, logger);
  const tracing = telemetry?.tracing;
  // Each mode loads only its own adapters (PGlite's or BullMQ's and pg's modules cost memory in every process).
  const infra =
    config.MODE === "production"
      ? (await import("./infrastructure/production.js")).productionInfrastructure(config, logger)
      : await (await import("./infrastructure/embedded.js")).embeddedInfrastructure(config, logger);
  const { db, sql, queue, bus } = infra;
  const metrics = new Metrics(
    () => queue.depth(),
    () => capacityByWorkflow(sql),
    () => backlogByWorkflow(sql, clock.now()),
  );
  const publisher = metrics.counting(bus);
  const registry = createHandlerRegistry(options.handlers);
  const workflows = new WorkflowCache(sql, registry);
  const admissions = new Admissions({ sql, queue, publisher, logger, clock, workflows, tracing });
  const services: ServiceDeps = {
    db,
    sql,
    registry,
    queue,
    publisher,
    workflows,
    triggers: new TriggerCache(db, sql),
    onEventReceived: () => metrics.eventsReceived.inc(),
    onTriggerFailed: (reason) => metrics.triggerFailures.inc({ reason }),
    clock,
    logger,
    admissions,
    tracing,
    limits: config,
  };
  const guard = new NetworkGuard({
    allowedNetworks: config.HTTP_ALLOWED_NETWORKS,
    allowAll: config.HTTP_ALLOW_ALL_NETWORKS,
  });
  const cancellations = new RunningCancellations();
  const runner = new StepRunner({
    sql,
    registry,
    workflows,
    queue,
    publisher,
    http: createGotHttp(guard, { maxResponseBytes: config.MAX_HTTP_RESPONSE_BYTES }),
    cancellations,
    admissions,
    tracing,
    clock,
    logger,
    onStepFinished: (type, outcome, seconds) => metrics.stepDuration.observe({ type, outcome }, seconds),
    onScheduleFired: (status, latenessSeconds) => {
      metrics.scheduleFirings.inc({ status });
      if (latenessSeconds !== undefined) metrics.scheduleLateness.observe(latenessSeconds);
    },
    limits: {
      leaseMs: config.STEP_LEASE_MS,
      maxStepsPerExecution: config.MAX_STEPS_PER_EXECUTION,
      maxOutputBytes: config.MAX_STEP_OUTPUT_BYTES,
      maxTemplateBytes: config.MAX_TEMPLATE_OUTPUT_BYTES,
      localWakeupsMax: config.WORKER_CONCURRENCY,
      maxCallDepth: config.MAX_CALL_DEPTH,
      replayRatePerSecond: config.REPLAY_RATE_PER_SECOND,
    },
  });

  let consumer: { close(): Promise<void> } | undefined;
  let reconciler: Reconciler | undefined;
  let pruner: Pruner | undefined;
  let stopHearingCancellations = () => {};

  return {
    config,
    logger,
    db,
    registry,
    queue,
    bus,
    services,
    runner,
    metrics,
    checkReady: () => infra.checkReady(),
    async startWorker() {
      // Cancelling an execution (in any process) aborts its calls running here.
      stopHearingCancellations = bus.listen("executionCancelled", ALL, (change) =>
        cancellations.cancelled(change.executionId),
      );
      await bus.listening("executionCancelled", ALL);
      consumer = await infra.startConsumer((job, start) => {
        if (start?.firstRun) metrics.queueWait.observe(Math.max(0, Date.now() - start.dueAt) / 1000);
        return runner.process(job);
      });
      reconciler = new Reconciler({
        sql,
        queue,
        logger,
        intervalMs: config.RECONCILE_INTERVAL_MS,
        graceMs: config.RECONCILE_GRACE_MS,
        decideWaits: (executionId) => decideWaits(services, executionId),
        admit: (workflowId) => admissions.admit(workflowId),
        clock,
      });
      reconciler.start();
      // Retention: every worker runs the pruner; a lease lets one at a time prune.
      pruner = new Pruner({
        sql,
        logger,
        clock,
        settings: retentionSettings(config),
        onBatch: (kind, seconds) => metrics.retentionBatchDuration.observe({ kind }, seconds),
        onDeleted: (counts) => {
          for (const [kind, n] of Object.entries(counts)) if (n > 0) metrics.retentionDeleted.inc({ kind }, n);
        },
      });
      pruner.start();
    },
    async close() {
      runner.drain();
      await reconciler?.stop();
      await pruner?.stop();
      await consumer?.close();
      stopHearingCancellations(); // after the running steps finished: a cancel may still abort them
      await infra.close();
      await telemetry?.close(); // the spans of the steps that just finished are flushed
    },
  };
}
