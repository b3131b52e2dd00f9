/**
 * Admission: the executions of one workflow waiting in line for capacity
 * (CapacityWait rows) are let in, refused or left waiting, in one
 * transaction holding the workflow's admission lock, so two admissions of
 * one workflow never count the same free slot twice.
 *
 * What is counted is derived from the steps, never kept as a counter that
 * could leak: a slot (FlowSlot row) counts while its execution has a step
 * PENDING or RUNNING. So a finished, cancelled or failed execution frees its
 * slots in the very transaction that ends it, an execution whose every open
 * step is WAITING frees them in the one that parks its last step, and a
 * worker killed mid-step keeps its execution's slot only until another
 * worker takes the step over (its lease). Slots that stopped counting are
 * deleted here. A rate limit counts the starts (FlowStart rows) in the last
 * period.
 *
 * Order: executions resuming (they ran before) first, then higher priority,
 * then lines (one per fairness key: the rendered keys) round-robin, the line
 * served longest ago first, and arrival order within a line.
 */
import type { SqlDb } from "../../db/sql.js";
import { Prisma } from "../../generated/prisma/client.js";
import type { ConcurrencyLimit, FlowControl, RateLimit } from "../flow-control.js";
import { storedFlowControl } from "../flow-control.js";
import type { StepJob } from "../ports.js";
import { cancelLocked } from "./cancel-execution.js";
import { cancelOpenSteps } from "./cancel-steps.js";
import { SLOT_COUNTS } from "./capacity-waits.js";
import type { ChangeSet } from "./change-set.js";
import { persistChangeSet, utcText } from "./change-set-sql.js";
import { lockExecutionIn, type Tx } from "./execution-lock.js";
import { fireClosedWindows } from "./fire-debounce.js";
import type { ExecutionStarter } from "./start-executions.js";

/** Advisory lock class of admissions (two-key form: its own space, apart from the wait locks). */
const ADMISSION_LOCK_CLASS = 0x41444d49; // "ADMI"
/** Candidates read per line and in all, per round (a round repeats while it changes something). */
const PER_LINE = 50;
const PER_ROUND = 2000;
const MAX_ROUNDS = 20;
/** A line not served for this long forgets when it was (it then counts as never served: first). */
const LINE_MEMORY_MS = 60 * 60 * 1000;

export interface Admission {
  /** Executions let in: their PENDING steps' jobs. */
  jobs: StepJob[];
  /** Executions refused (SKIPPED, CANCELLED) or cancelled to make room: to publish. */
  changes: ChangeSet[];
  granted: number;
  /** When a rate limit lets the next one in (throttle): admit again then. */
  nextAt: Date | undefined;
}

interface Candidate {
  executionId: string;
  resuming: boolean;
  priority: number;
  seq: string;
  rank: number;
  concurrencyKeys: string[];
  rateKey: string | null;
  fairKey: string;
  servedAt: Date | null;
  /** False once its execution ended while in line (cancelled, timed out): its row just goes. */
  live: boolean;
}

interface Holder {
  executionId: string;
  entry: number;
  key: string;
}

/**
 * Admits the workflow's line. First, debounce windows that closed start their executions
 * (fire-debounce.ts), with `starter` (the workflow's current version, loaded by the caller
 * before; undefined when the workflow is deleted).
 */
export async function admitExecutions(
  sql: SqlDb,
  workflowId: string,
  now: Date,
  starter: ExecutionStarter | undefined,
): Promise<Admission> {
  return sql.transaction(async (tx) => {
    await tx.execute(Prisma.sql`SELECT pg_advisory_xact_lock(${ADMISSION_LOCK_CLASS}::int, hashtext(${workflowId}))`);
    const [workflow] = await tx.query<{ flowControl: unknown }>(Prisma.sql`
      SELECT "flowControl" FROM "Workflow" WHERE id = ${workflowId}`);
    const admission: Admission = { jobs: [], changes: [], granted: 0, nextAt: undefined };
    if (!workflow) return admission;
    const windows = await fireWindows(tx, workflowId, now, starter);
    admission.changes.push(...windows.changes);
    // The workflow's current limits apply (raising one during a flood drains the line faster).
    const flow = storedFlowControl(workflow.flowControl);
    await forgetEnded(tx, workflowId, now);
    const round = new Round(
      workflowId,
      flow,
      await readHolders(tx, workflowId),
      await readStarts(tx, workflowId, flow, now),
      now,
    );
    for (let i = 0; i < MAX_ROUNDS; i += 1) {
      const candidates = await readCandidates(tx, workflowId);
      const decided = await decide(tx, round, candidates, admission);
      if (decided === 0 || candidates.length < PER_ROUND) break;
    }
    admission.nextAt = earliest(round.nextAt, windows.nextAt);
    return admission;
  });
}

/** Closed debounce windows start their executions; those of a deleted workflow are dropped (it cancelled its executions too). */
async function fireWindows(
  tx: Tx,
  workflowId: string,
  now: Date,
  starter: ExecutionStarter | undefined,
): Promise<{ changes: ChangeSet[]; nextAt: Date | undefined }> {
  if (!starter) {
    await tx.execute(Prisma.sql`DELETE FROM "DebounceEvent" WHERE "workflowId" = ${workflowId}`);
    return { changes: [], nextAt: undefined };
  }
  return fireClosedWindows(tx, workflowId, now, starter);
}

function earliest(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (!a) return b;
  if (!b) return a;
  return a < b ? a : b;
}

/**
 * Rows that no longer count: slots of executions holding nothing, lines not served for long. (A
 * place in line whose execution ended is dropped when it comes up: decide.)
 */
async function forgetEnded(tx: Tx, workflowId: string, now: Date): Promise<void> {
  await tx.execute(Prisma.sql`
    DELETE FROM "FlowSlot" s WHERE s."workflowId" = ${workflowId} AND NOT ${SLOT_COUNTS}`);
  await tx.execute(Prisma.sql`
    DELETE FROM "FlowLine" WHERE "workflowId" = ${workflowId} AND "servedAt" < ${new Date(now.getTime() - LINE_MEMORY_MS)}`);
}

function readHolders(tx: Tx, workflowId: string): Promise<Holder[]> {
  return tx.query<Holder>(Prisma.sql`
    SELECT "executionId", entry, key FROM "FlowSlot" WHERE "workflowId" = ${workflowId} ORDER BY "grantedAt", "executionId"`);
}

/** Starts within the rate limit's period, oldest first, per key (older ones are deleted). */
async function readStarts(tx: Tx, workflowId: string, flow: FlowControl | null, now: Date) {
  const starts = new Map<string, Date[]>();
  if (!flow?.rateLimit) return starts;
  const since = new Date(now.getTime() - flow.rateLimit.periodMs);
  await tx.execute(Prisma.sql`DELETE FROM "FlowStart" WHERE "workflowId" = ${workflowId} AND "startedAt" <= ${since}`);
  const rows = await tx.query<{ key: string; startedAt: Date }>(Prisma.sql`
    SELECT key, "startedAt" FROM "FlowStart" WHERE "workflowId" = ${workflowId} ORDER BY "startedAt"`);
  for (const row of rows) starts.set(row.key, [...(starts.get(row.key) ?? []), row.startedAt]);
  return starts;
}

/**
 * The head of every line (PER_LINE each), in the order they are served. The lines are found by
 * skipping through CapacityWait's (workflowId, fairKey, ...) index, one probe per line, and each
 * line's head read from it in order, so a line of 100,000 costs what a line of 50 does.
 */
function readCandidates(tx: Tx, workflowId: string): Promise<Candidate[]> {
  return tx.query<Candidate>(Prisma.sql`
    WITH RECURSIVE lines AS (
      (SELECT "fairKey" FROM "CapacityWait" WHERE "workflowId" = ${workflowId} ORDER BY "fairKey" LIMIT 1)
      UNION ALL
      SELECT (SELECT c."fairKey" FROM "CapacityWait" c
              WHERE c."workflowId" = ${workflowId} AND c."fairKey" > lines."fairKey" ORDER BY c."fairKey" LIMIT 1)
      FROM lines WHERE lines."fairKey" IS NOT NULL
    )
    SELECT c."executionId", c.resuming, c.priority, c.seq::text AS seq, c.rank::int AS rank,
      f."concurrencyKeys", f."rateKey", lines."fairKey", l."servedAt", x.status IN ('PENDING', 'RUNNING') AS live
    FROM lines
    CROSS JOIN LATERAL (
      SELECT head.*, row_number() OVER (ORDER BY head.resuming DESC, head.priority DESC, head.seq) AS rank
      FROM (
        SELECT * FROM "CapacityWait" c WHERE c."workflowId" = ${workflowId} AND c."fairKey" = lines."fairKey"
        ORDER BY c.resuming DESC, c.priority DESC, c.seq LIMIT ${PER_LINE}
      ) head
    ) c
    JOIN "ExecutionFlow" f ON f."executionId" = c."executionId"
    JOIN "Execution" x ON x.id = c."executionId"
    LEFT JOIN "FlowLine" l ON l."workflowId" = ${workflowId} AND l."fairKey" = lines."fairKey"
    WHERE lines."fairKey" IS NOT NULL
    ORDER BY c.resuming DESC, c.priority DESC, c.rank, l."servedAt" ASC NULLS FIRST, c.seq
    LIMIT ${PER_ROUND}`);
}

/** What admission counts while it decides: slots held per (entry, key), starts per rate key. */
class Round {
  private readonly held = new Map<string, number>();
  private readonly holders: Holder[];
  nextAt: Date | undefined;

  constructor(
    readonly workflowId: string,
    readonly flow: FlowControl | null,
    holders: Holder[],
    private readonly starts: Map<string, Date[]>,
    readonly now: Date,
  ) {
    this.holders = holders;
    for (const h of holders) this.held.set(slotKey(h.entry, h.key), (this.held.get(slotKey(h.entry, h.key)) ?? 0) + 1);
  }

  /** The concurrency entries the candidate finds full. */
  fullEntries(c: Candidate): { entry: number; limit: ConcurrencyLimit; key: string }[] {
    return (this.flow?.concurrency ?? []).flatMap((limit, entry) => {
      const key = c.concurrencyKeys[entry] ?? "";
      return (this.held.get(slotKey(entry, key)) ?? 0) >= limit.limit ? [{ entry, limit, key }] : [];
    });
  }

  /** The rate limit, when it lets no new start in now for the candidate. */
  rateFull(c: Candidate): RateLimit | undefined {
    const rate = this.flow?.rateLimit;
    if (!rate || c.resuming) return undefined;
    const started = this.starts.get(c.rateKey ?? "") ?? [];
    return started.length >= rate.limit ? rate : undefined;
  }

  /** Throttled: admit again when the oldest start in the window leaves it. */
  throttled(c: Candidate, rate: RateLimit): void {
    const oldest = this.starts.get(c.rateKey ?? "")?.[0];
    if (!oldest) return;
    const at = new Date(oldest.getTime() + rate.periodMs);
    if (!this.nextAt || at < this.nextAt) this.nextAt = at;
  }

  grant(c: Candidate): void {
    (this.flow?.concurrency ?? []).forEach((_, entry) => {
      const key = c.concurrencyKeys[entry] ?? "";
      this.held.set(slotKey(entry, key), (this.held.get(slotKey(entry, key)) ?? 0) + 1);
      this.holders.push({ executionId: c.executionId, entry, key });
    });
    if (this.flow?.rateLimit && !c.resuming) {
      const key = c.rateKey ?? "";
      this.starts.set(key, [...(this.starts.get(key) ?? []), this.now]);
    }
  }

  /** The oldest executions holding a slot of (entry, key), except those already let go. */
  oldestHolders(entry: number, key: string, count: number): string[] {
    return this.holders
      .filter((h) => h.entry === entry && h.key === key)
      .slice(0, count)
      .map((h) => h.executionId);
  }

  /** An execution cancelled to make room: its slots count no more. */
  release(executionId: string): void {
    for (const h of this.holders.filter((x) => x.executionId === executionId)) {
      this.held.set(slotKey(h.entry, h.key), (this.held.get(slotKey(h.entry, h.key)) ?? 1) - 1);
    }
    this.holders.splice(0, this.holders.length, ...this.holders.filter((h) => h.executionId !== executionId));
  }
}

function slotKey(entry: number, key: string): string {
  return `${entry}\u0000${key}`;
}

/** Decides each candidate in order; returns how many were let in or refused. */
async function decide(tx: Tx, round: Round, candidates: Candidate[], admission: Admission): Promise<number> {
  const granted: Candidate[] = [];
  const ended = candidates.filter((c) => !c.live).map((c) => c.executionId);
  if (ended.length > 0) {
    await tx.execute(Prisma.sql`DELETE FROM "CapacityWait" WHERE "executionId" = ANY(${ended}::text[])`);
  }
  let refused = ended.length;
  for (const c of candidates.filter((x) => x.live)) {
    let full = round.fullEntries(c);
    if (full.length > 0 && !c.resuming) {
      const outcome = await applyStrategy(tx, round, c, full, admission);
      if (outcome === "refused") {
        refused += 1;
        continue;
      }
      full = round.fullEntries(c);
    }
    if (full.length > 0) continue;
    const rate = round.rateFull(c);
    if (rate?.mode === "drop") {
      await refuse(tx, c.executionId, "SKIPPED", rateMessage(rate, c), round.now, admission);
      refused += 1;
      continue;
    }
    if (rate) {
      round.throttled(c, rate);
      continue;
    }
    round.grant(c);
    granted.push(c);
  }
  await writeGrants(tx, round, granted, admission);
  return granted.length + refused;
}

/**
 * A new execution over a full concurrency entry: `skip` records it SKIPPED, `cancel_newest`
 * CANCELLED; `cancel_in_progress` cancels the oldest holders of the key to make room; `queue`
 * leaves it waiting.
 */
async function applyStrategy(
  tx: Tx,
  round: Round,
  c: Candidate,
  full: { entry: number; limit: ConcurrencyLimit; key: string }[],
  admission: Admission,
): Promise<"refused" | "waits"> {
  const refusing = full.find((f) => f.limit.strategy === "skip" || f.limit.strategy === "cancel_newest");
  if (refusing) {
    const status = refusing.limit.strategy === "skip" ? "SKIPPED" : "CANCELLED";
    await refuse(tx, c.executionId, status, concurrencyMessage(refusing), round.now, admission);
    return "refused";
  }
  for (const f of full.filter((x) => x.limit.strategy === "cancel_in_progress")) {
    for (const executionId of round.oldestHolders(f.entry, f.key, 1)) {
      const changes = await lockExecutionIn(tx, executionId);
      if (changes && (changes.execution.status === "PENDING" || changes.execution.status === "RUNNING")) {
        await cancelLocked(tx, changes, round.now);
        changes.executionPatch.error = `cancelled: a newer execution took its slot (${concurrencyMessage(f)})`;
        await persistChangeSet(tx, changes);
        admission.changes.push(changes);
      }
      round.release(executionId);
    }
  }
  return "waits";
}

function concurrencyMessage(f: { limit: ConcurrencyLimit; key: string }): string {
  const key = f.limit.key === null ? "" : ` for key ${JSON.stringify(f.key)}`;
  return `concurrency limit ${f.limit.limit}${key} reached`;
}

function rateMessage(rate: RateLimit, c: Candidate): string {
  const key = rate.key === null ? "" : ` for key ${JSON.stringify(c.rateKey ?? "")}`;
  return `rate limit ${rate.limit} per ${rate.periodMs} ms${key} reached`;
}

/** A new execution refused by its limits: SKIPPED or CANCELLED, with the reason, and its steps with it. */
async function refuse(
  tx: Tx,
  executionId: string,
  status: "SKIPPED" | "CANCELLED",
  reason: string,
  now: Date,
  admission: Admission,
): Promise<void> {
  const changes = await lockExecutionIn(tx, executionId);
  await tx.execute(Prisma.sql`DELETE FROM "CapacityWait" WHERE "executionId" = ${executionId}`);
  if (!changes || (changes.execution.status !== "PENDING" && changes.execution.status !== "RUNNING")) return;
  const word = status === "SKIPPED" ? "skipped" : "cancelled";
  changes.executionStatus(status, { finishedAt: now, error: `${word}: ${reason}` });
  await cancelOpenSteps(tx, changes, ["PENDING", "WAITING", "RUNNING"], now);
  await persistChangeSet(tx, changes);
  admission.changes.push(changes);
}

/** Lets the candidates in: their lines leave, slots and starts are recorded, their PENDING steps get jobs. */
async function writeGrants(tx: Tx, round: Round, granted: Candidate[], admission: Admission): Promise<void> {
  if (granted.length === 0) return;
  const ids = granted.map((c) => c.executionId);
  const { workflowId } = round;
  const slots = granted.flatMap((c) =>
    (round.flow?.concurrency ?? []).map((_, entry) => ({
      e: c.executionId,
      n: entry,
      k: c.concurrencyKeys[entry] ?? "",
    })),
  );
  const starts = round.flow?.rateLimit ? granted.filter((c) => !c.resuming) : [];
  const lines = [...new Set(granted.map((c) => c.fairKey))];
  const at = utcText(round.now);
  await tx.execute(Prisma.sql`
    WITH gone AS (DELETE FROM "CapacityWait" WHERE "executionId" = ANY(${ids}::text[])),
    slots AS (
      INSERT INTO "FlowSlot" ("executionId", entry, "workflowId", key, "grantedAt")
      SELECT s.e, s.n, ${workflowId}, s.k, ${at}::timestamp(3)
      FROM jsonb_to_recordset(${JSON.stringify(slots)}::jsonb) AS s(e text, n int, k text)
      ON CONFLICT ("executionId", entry) DO UPDATE SET key = EXCLUDED.key, "grantedAt" = EXCLUDED."grantedAt"
    ),
    starts AS (
      INSERT INTO "FlowStart" ("executionId", "workflowId", key, "startedAt")
      SELECT s.e, ${workflowId}, s.k, ${at}::timestamp(3)
      FROM jsonb_to_recordset(${JSON.stringify(starts.map((c) => ({ e: c.executionId, k: c.rateKey ?? "" })))}::jsonb)
        AS s(e text, k text)
      ON CONFLICT ("executionId") DO NOTHING
    )
    INSERT INTO "FlowLine" ("workflowId", "fairKey", "servedAt")
    SELECT ${workflowId}, unnest(${lines}::text[]), ${at}::timestamp(3)
    ON CONFLICT ("workflowId", "fairKey") DO UPDATE SET "servedAt" = EXCLUDED."servedAt"`);
  const steps = await tx.query<{ id: string; executionId: string; attempt: number; resumeAt: Date | null }>(Prisma.sql`
    SELECT id, "executionId", attempt, "resumeAt" FROM "Step"
    WHERE "executionId" = ANY(${ids}::text[]) AND status = 'PENDING'`);
  for (const s of steps) {
    admission.jobs.push({
      stepId: s.id,
      executionId: s.executionId,
      generation: String(s.attempt + 1),
      ...(s.resumeAt ? { runAt: s.resumeAt } : {}),
    });
  }
  admission.granted += granted.length;
}
