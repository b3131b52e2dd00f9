/**
 * One scenario: load from concurrent clients, a fault in the middle of it,
 * then (with a deadline) every accepted event's executions finish, and the
 * outcome is checked.
 */
import type pg from "pg";
import type { Engine } from "./engine.js";
import { Load } from "./load.js";
import type { ScenarioResult } from "./report.js";
import type { HttpTarget } from "./target.js";
import { sleep } from "./util.js";
import { lastFinishedAt, unfinished, verify } from "./verify.js";
import type { FlowName } from "./workflows.js";

export interface ScenarioContext {
  engine: Engine;
  pool: pg.Pool;
  target: HttpTarget;
  workflowIds: Record<FlowName, string>;
  clients: number;
  pauseMs: number;
  /** Load before the fault, and after it. */
  beforeMs: number;
  afterMs: number;
  /** How long executions may take to finish once the load stopped. */
  finishDeadlineMs: number;
}

export interface Scenario {
  name: string;
  inject?: () => Promise<void>;
}

export async function runScenario(ctx: ScenarioContext, scenario: Scenario, index: number): Promise<ScenarioResult> {
  const startedAt = Date.now();
  const crashesBefore = ctx.engine.crashes.length;
  const load = new Load({
    baseUrl: ctx.engine.baseUrl,
    label: `s${index}`,
    clients: ctx.clients,
    pauseMs: ctx.pauseMs,
    giveUpMs: 60_000,
  });
  await sleep(ctx.beforeMs);

  let injectedAt: number | undefined;
  let inFlight: string[] = [];
  if (scenario.inject) {
    const acceptedIds = load.sent.flatMap((e) => e.accepted?.executionIds ?? []);
    inFlight = await unfinished(ctx.pool, acceptedIds);
    injectedAt = Date.now();
    await scenario.inject();
  }
  await sleep(ctx.afterMs);
  const sent = await load.stop();
  const loadStoppedAt = Date.now();

  const executionIds = sent.flatMap((e) => e.accepted?.executionIds ?? []);
  let open = executionIds;
  const deadline = Date.now() + ctx.finishDeadlineMs;
  while (Date.now() < deadline) {
    open = await unfinished(ctx.pool, executionIds).catch(() => open);
    if (open.length === 0) break;
    await sleep(200);
  }
  const drainMs = Date.now() - loadStoppedAt;
  const lastInFlight = injectedAt === undefined ? undefined : await lastFinishedAt(ctx.pool, inFlight);
  const verdict = await verify(ctx.pool, ctx.target, ctx.workflowIds, sent);

  const answers: Record<string, number> = {};
  for (const event of sent) for (const status of event.answers) answers[status] = (answers[status] ?? 0) + 1;
  return {
    name: scenario.name,
    verdict,
    recoveryMs:
      injectedAt === undefined
        ? undefined
        : inFlight.length === 0
          ? 0
          : lastInFlight === undefined
            ? undefined
            : Math.max(0, lastInFlight - injectedAt),
    drainMs,
    unfinished: open.length,
    answers,
    networkErrors: sent.reduce((n, e) => n + e.networkErrors, 0),
    crashes: ctx.engine.crashes
      .slice(crashesBefore)
      .map((c) => `${c.name} exited (${c.signal ?? c.code}):\n${indent(c.tail)}`),
    logs: ctx.engine.logs.filter((l) => l.at >= startedAt),
  };
}

function indent(text: string): string {
  return text
    .split("\n")
    .slice(-15)
    .map((l) => `      ${l.slice(0, 400)}`)
    .join("\n");
}
