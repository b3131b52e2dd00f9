/**
 * Flow control under faults (issue 21): 500 executions over 20 keys of a
 * workflow limited to 2 running per key, sent at once; while they drain, a
 * worker is killed with SIGKILL, Redis restarts empty and PostgreSQL
 * restarts. Then every execution must end SUCCEEDED, and no key may ever
 * have had more than 2 running: neither at the HTTP target (executions with
 * a call in flight, counted when the call arrives and until it is answered
 * or cut off) nor in the recorded step times (the call steps' start and
 * finish, per key).
 */
import type pg from "pg";
import type { Engine } from "./engine.js";
import type { HttpTarget } from "./target.js";
import { sleep } from "./util.js";
import { unfinished } from "./verify.js";

export const FLOW_EXECUTIONS = 500;
export const FLOW_KEYS = 20;
export const FLOW_LIMIT = 2;

export interface FlowControlResult {
  executions: number;
  succeeded: number;
  unfinished: number;
  /** Most executions of one key running at once: at the target, and from the recorded step times. */
  maxAtTarget: number;
  maxRecorded: number;
  drainMs: number;
  problems: string[];
}

export interface FlowFaults {
  killWorker(): Promise<void>;
  restartRedis(): Promise<void>;
  restartPostgres(): Promise<void>;
}

export async function runFlowControl(
  engine: Engine,
  pool: pg.Pool,
  target: HttpTarget,
  faults: FlowFaults,
  log: (message: string) => void,
): Promise<FlowControlResult> {
  const problems: string[] = [];
  const workflowId = await createLimited(engine.baseUrl, target.baseUrl);
  const began = Date.now();
  const ids = await sendAll(engine.baseUrl);
  log(`flow control: ${ids.length} executions sent; faults while they drain`);
  await faults.killWorker();
  await sleep(1_000);
  await faults.restartRedis();
  await sleep(1_000);
  await faults.restartPostgres();

  let open = ids;
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline && open.length > 0) {
    open = await unfinished(pool, ids).catch(() => open);
    if (open.length > 0) await sleep(250);
  }
  const drainMs = Date.now() - began;
  const { rows: statuses } = await pool.query<{ status: string; count: number }>(
    `SELECT status::text, count(*)::int AS count FROM "Execution" WHERE "workflowId" = $1 GROUP BY status`,
    [workflowId],
  );
  const succeeded = statuses.find((s) => s.status === "SUCCEEDED")?.count ?? 0;
  const maxRecorded = await maxOverlapRecorded(pool, workflowId);
  const maxAtTarget = Math.max(0, ...target.maxSlotsInFlight.values());
  if (open.length > 0) problems.push(`${open.length} executions unfinished after 180 s`);
  if (succeeded !== ids.length) problems.push(`statuses: ${JSON.stringify(statuses)}`);
  if (maxAtTarget > FLOW_LIMIT)
    problems.push(`a key had ${maxAtTarget} executions calling at once (limit ${FLOW_LIMIT})`);
  if (maxRecorded > FLOW_LIMIT) problems.push(`recorded step times overlap ${maxRecorded} deep on one key`);
  return { executions: ids.length, succeeded, unfinished: open.length, maxAtTarget, maxRecorded, drainMs, problems };
}

async function createLimited(baseUrl: string, targetUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/workflows`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name: "chaos flow control",
      trigger: { "==": [{ var: "kind" }, "limited"] },
      concurrency: { key: "{{payload.key}}", limit: FLOW_LIMIT },
      graph: {
        nodes: [
          { id: "start", type: "start" },
          { id: "call", type: "http_call", data: { url: `${targetUrl}/slot?key={{payload.key}}`, method: "POST" } },
          { id: "end", type: "end" },
        ],
        edges: [
          { source: "start", target: "call" },
          { source: "call", target: "end" },
        ],
      },
    }),
  });
  const body = (await response.json()) as { id?: string };
  if (!body.id) throw new Error(`creating the limited workflow: HTTP ${response.status} ${JSON.stringify(body)}`);
  return body.id;
}

/** Sends the events from 10 clients, each retried (same Idempotency-Key) until accepted. */
async function sendAll(baseUrl: string): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const client = async () => {
    for (let n = next++; n < FLOW_EXECUTIONS; n = next++) {
      const key = `k${n % FLOW_KEYS}`;
      for (let attempt = 0; ; attempt += 1) {
        const response = await fetch(`${baseUrl}/events`, {
          method: "POST",
          headers: { "content-type": "application/json", "idempotency-key": `flow-${n}` },
          body: JSON.stringify({ kind: "limited", key, n }),
        }).catch(() => undefined);
        if (response?.ok) {
          const body = (await response.json()) as { execution_ids: string[] };
          ids.push(...body.execution_ids);
          break;
        }
        if (attempt > 100) throw new Error(`event ${n} was never accepted`);
        await sleep(100);
      }
    }
  };
  await Promise.all(Array.from({ length: 10 }, client));
  return ids;
}

/** The most call steps of one key whose recorded [startedAt, finishedAt] overlap at one instant. */
async function maxOverlapRecorded(pool: pg.Pool, workflowId: string): Promise<number> {
  const { rows } = await pool.query<{ deepest: number | null }>(
    `WITH calls AS (
       SELECT x.payload->>'key' AS key, s."startedAt" AS t, 1 AS delta FROM "Step" s JOIN "Execution" x ON x.id = s."executionId"
       WHERE x."workflowId" = $1 AND s."nodeId" = 'call' AND s."startedAt" IS NOT NULL
       UNION ALL
       SELECT x.payload->>'key', s."finishedAt", -1 FROM "Step" s JOIN "Execution" x ON x.id = s."executionId"
       WHERE x."workflowId" = $1 AND s."nodeId" = 'call' AND s."finishedAt" IS NOT NULL
     ),
     running AS (
       SELECT key, sum(delta) OVER (PARTITION BY key ORDER BY t, delta) AS depth FROM calls
     )
     SELECT max(depth)::int AS deepest FROM running`,
    [workflowId],
  );
  return rows[0]?.deepest ?? 0;
}
