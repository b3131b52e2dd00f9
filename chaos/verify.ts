/**
 * Checks, from the database and the HTTP target, that the accepted events of a
 * scenario came out right: each stored once, one execution per matched
 * workflow, the right final status, one step per node visited on the expected
 * path, one notification per notification step, every HTTP call made.
 */
import pg from "pg";
import type { SentEvent } from "./load.js";
import type { HttpTarget } from "./target.js";
import { EVENT_KINDS, type Expectation, type FlowName } from "./workflows.js";

export interface Verdict {
  accepted: number;
  /** Events a client could not get accepted (4xx, or gave up). */
  notAccepted: number;
  executions: number;
  finishedOk: number;
  wrongStatus: number;
  duplicateSteps: number;
  badPaths: number;
  notificationErrors: number;
  /** Accepted events missing from the database, or missing executions. */
  lostEvents: number;
  missingHttpCalls: number;
  /** HTTP requests beyond the ones needed (at least once: reported, allowed). */
  duplicateHttpCalls: number;
  /** Examples of what went wrong, for the report. */
  problems: string[];
}

interface ExecutionRow {
  id: string;
  eventId: string | null;
  workflowId: string;
  status: string;
}
interface StepRow {
  id: string;
  executionId: string;
  nodeId: string;
  type: string;
  status: string;
}
interface NotificationRow {
  stepId: string;
  count: number;
}

/** A pool that survives the database restarting under it (idle clients emit 'error'). */
export function createCheckPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on("error", () => {}); // an idle client lost its connection; the pool replaces it
  return pool;
}

/** Execution ids of the accepted events not finished yet. */
export async function unfinished(pool: pg.Pool, executionIds: readonly string[]): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT id FROM "Execution" WHERE id = ANY($1::text[]) AND status IN ('PENDING', 'RUNNING')`,
    [executionIds],
  );
  return rows.map((r) => r.id);
}

/** When the last of these executions finished (ms since the epoch), if all did. */
export async function lastFinishedAt(pool: pg.Pool, executionIds: readonly string[]): Promise<number | undefined> {
  if (executionIds.length === 0) return undefined;
  const { rows } = await pool.query<{ last: Date | null; open: string }>(
    `SELECT max("finishedAt") AS last, count(*) FILTER (WHERE "finishedAt" IS NULL) AS open
     FROM "Execution" WHERE id = ANY($1::text[])`,
    [executionIds],
  );
  const row = rows[0];
  return row && row.open === "0" && row.last ? row.last.getTime() : undefined;
}

export async function verify(
  pool: pg.Pool,
  target: HttpTarget,
  workflowIds: Record<FlowName, string>,
  sent: readonly SentEvent[],
): Promise<Verdict> {
  const flowOf = new Map(Object.entries(workflowIds).map(([flow, id]) => [id, flow as FlowName]));
  const accepted = sent.filter((e) => e.accepted);
  const verdict: Verdict = {
    accepted: accepted.length,
    notAccepted: sent.length - accepted.length,
    executions: 0,
    finishedOk: 0,
    wrongStatus: 0,
    duplicateSteps: 0,
    badPaths: 0,
    notificationErrors: 0,
    lostEvents: 0,
    missingHttpCalls: 0,
    duplicateHttpCalls: 0,
    problems: [],
  };
  const problem = (text: string) => {
    if (verdict.problems.length < 12) verdict.problems.push(text);
  };
  for (const event of sent) if (event.rejected) problem(`event ${event.key} not accepted: ${event.rejected}`);

  const keys = accepted.map((e) => e.key);
  const events = await pool.query<{ id: string; idempotencyKey: string }>(
    `SELECT id, "idempotencyKey" FROM "Event" WHERE "idempotencyKey" = ANY($1::text[])`,
    [keys],
  );
  const eventsByKey = groupBy(events.rows, (r) => r.idempotencyKey);
  const eventIds = events.rows.map((r) => r.id);
  const executions = await pool.query<ExecutionRow>(
    `SELECT id, "eventId", "workflowId", status::text AS status FROM "Execution" WHERE "eventId" = ANY($1::text[])`,
    [eventIds],
  );
  const executionIds = executions.rows.map((r) => r.id);
  const steps = await pool.query<StepRow>(
    `SELECT id, "executionId", "nodeId", type, status::text AS status FROM "Step" WHERE "executionId" = ANY($1::text[])`,
    [executionIds],
  );
  const notifications = await pool.query<NotificationRow>(
    `SELECT "stepId", count(*)::int AS count FROM "Notification" WHERE "executionId" = ANY($1::text[]) GROUP BY "stepId"`,
    [executionIds],
  );
  const executionsByEvent = groupBy(executions.rows, (r) => r.eventId ?? "");
  const stepsByExecution = groupBy(steps.rows, (r) => r.executionId);
  const notificationsByStep = new Map(notifications.rows.map((r) => [r.stepId, r.count]));
  verdict.executions = executions.rows.length;

  for (const event of accepted) {
    const stored = eventsByKey.get(event.key) ?? [];
    const storedEvent = stored[0];
    if (stored.length !== 1 || !storedEvent || storedEvent.id !== event.accepted?.eventId) {
      verdict.lostEvents += 1;
      problem(`event ${event.key}: stored ${stored.length} times (answered event ${event.accepted?.eventId})`);
      continue;
    }
    const runs = executionsByEvent.get(storedEvent.id) ?? [];
    const expected = EVENT_KINDS[event.kind].expect as readonly Expectation[];
    const answered = new Set(event.accepted?.executionIds ?? []);
    const flows = runs.map((r) => flowOf.get(r.workflowId) ?? `unknown workflow ${r.workflowId}`);
    const wanted = expected.map((x) => x.flow);
    if (flows.sort().join() !== [...wanted].sort().join() || runs.some((r) => !answered.has(r.id))) {
      verdict.lostEvents += 1;
      problem(`event ${event.key} (${event.kind}): executions of [${flows}], expected one each of [${wanted}]`);
    }
    for (const run of runs) {
      const expectation = expected.find((x) => workflowIds[x.flow] === run.workflowId);
      if (expectation) checkExecution(run, expectation, stepsByExecution.get(run.id) ?? []);
    }
  }
  return verdict;

  function checkExecution(run: ExecutionRow, expectation: Expectation, runSteps: StepRow[]) {
    const label = `${expectation.flow} execution ${run.id}`;
    let ok = true;
    if (run.status !== expectation.status) {
      verdict.wrongStatus += 1;
      ok = false;
      problem(`${label}: ${run.status}, expected ${expectation.status}`);
    }
    const byNode = groupBy(runSteps, (s) => s.nodeId);
    const duplicated = [...byNode.values()].filter((rows) => rows.length > 1);
    if (duplicated.length > 0) {
      verdict.duplicateSteps += duplicated.length;
      ok = false;
      problem(`${label}: several steps for node ${duplicated.map((rows) => rows[0]?.nodeId).join(", ")}`);
    }
    const visited = runSteps.filter((s) => s.status !== "SKIPPED");
    const path = visited.map((s) => `${s.nodeId}=${s.status}`).sort();
    const wantedPath = Object.entries(expectation.visited)
      .map(([node, status]) => `${node}=${status}`)
      .sort();
    if (path.join() !== wantedPath.join()) {
      verdict.badPaths += 1;
      ok = false;
      problem(`${label}: visited [${path}], expected [${wantedPath}]`);
    }
    for (const step of runSteps) {
      const stored = notificationsByStep.get(step.id) ?? 0;
      const wanted = step.type === "send_notification" && step.status === "SUCCEEDED" ? 1 : 0;
      if (stored !== wanted) {
        verdict.notificationErrors += 1;
        ok = false;
        problem(`${label}: ${stored} notifications for step ${step.nodeId} (${step.status}), expected ${wanted}`);
      }
    }
    if (expectation.http) {
      const { node, path: httpPath, requests } = expectation.http;
      const seen = target.count(httpPath, `${run.id}:${node}`);
      if (seen < requests) {
        verdict.missingHttpCalls += 1;
        ok = false;
        problem(`${label}: ${seen} requests to ${httpPath}, expected at least ${requests}`);
      }
      verdict.duplicateHttpCalls += Math.max(0, seen - requests);
    }
    if (ok) verdict.finishedOk += 1;
  }
}

/** Rows grouped by a key, each group in the rows' order. */
export function groupBy<T, K>(rows: readonly T[], key: (row: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const row of rows) {
    const k = key(row);
    const group = groups.get(k);
    if (group) group.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}
