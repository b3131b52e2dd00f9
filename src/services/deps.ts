import type { Config } from "../config.js";
import type { Db } from "../db/client.js";
import type { SqlDb } from "../db/sql.js";
import type {
  Admissions,
  ChangePublisher,
  Clock,
  EngineLogger,
  HandlerRegistry,
  StepQueue,
  WorkflowCache,
} from "../engine/index.js";
import type { Tracing } from "../telemetry/types.js";
import type { TriggerCache } from "./trigger-cache.js";

/** What the use cases need; built once by the composition root (src/deps.ts). */
export interface ServiceDeps {
  db: Db;
  /** The same database as plain SQL, for the engine's transitions (src/db/sql.ts). */
  sql: SqlDb;
  registry: HandlerRegistry;
  queue: StepQueue;
  publisher: ChangePublisher;
  workflows: WorkflowCache;
  triggers: TriggerCache;
  clock: Clock;
  logger: EngineLogger;
  /** Admission for workflows with flow control: runs after commits that may let an execution in. */
  admissions?: Admissions;
  /** Called once per event received (metrics). */
  onEventReceived?: () => void;
  /** Called once per workflow whose trigger failed on an event (metrics): out of budget, or an error. */
  onTriggerFailed?: (reason: "budget" | "error") => void;
  /** Traces, when turned on (src/telemetry/): the ingestion span, and the engine's spans. */
  tracing?: Tracing | undefined;
  limits: Pick<Config, "MAX_EVENT_BYTES" | "MAX_STEPS_PER_EXECUTION" | "MAX_GRAPH_NODES" | "MAX_GRAPH_EDGES">;
}
