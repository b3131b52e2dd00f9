/**
 * Failures that cannot succeed on another try fail the node that caused them,
 * at once, with the real reason, and the execution FAILED in one attempt. On
 * c1dca45 each of these threw inside the job: the job was retried until the
 * step's lost-run limit failed it minutes later with "start: the step was
 * interrupted 4 times (its worker was lost)". And what a step stores (its
 * input, its notification's message) stays under the output limit.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { builtinHandlers } from "../../src/engine/handlers/index.js";
import { defineHandler } from "../../src/engine/handlers/types.js";
import { Prisma } from "../../src/generated/prisma/client.js";
import { startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { useTestDatabase } from "../support/database.js";
import { capturingLogger, startTestEngine, stepsByNode, type TestEngine, waitForExecution } from "../support/engine.js";
import { linked, node, type TestGraph } from "../support/graphs.js";
import { TestHttpServer } from "../support/http-server.js";

const database = useTestDatabase();
let engine: TestEngine;
let server: TestHttpServer;
const logLines: string[] = [];

/** Well within one attempt; on c1dca45 these executions took minutes (lost-run limit × lease). */
const PROMPTLY_MS = 15_000;

/**
 * A notification type without send_notification's toRole limit, as a custom
 * node type might be written: its record is what PostgreSQL refuses.
 */
const uncheckedNotify = defineHandler({
  type: "unchecked_notify",
  description: "Notifies whatever role it is given (test only).",
  dataSchema: z.looseObject({ toRole: z.string(), message: z.string() }),
  runsInMemory: true,
  async execute({ data, services }) {
    await services.notify({ toRole: data.toRole, message: data.message });
    return { kind: "done", output: { notified: data.toRole.length } };
  },
});

/** Text PostgreSQL cannot compress, so its size in an index is its length. */
const incompressible = (chars: number) => randomBytes(chars).toString("base64").slice(0, chars);

beforeAll(async () => {
  server = await new TestHttpServer().start();
  engine = await startTestEngine(database.url, {
    handlers: [...builtinHandlers, uncheckedNotify],
    logger: capturingLogger(logLines),
  });
});

afterAll(async () => {
  await engine?.stop();
  await server?.stop();
});

async function run(graph: TestGraph, payload: Record<string, unknown>) {
  const workflow = await createWorkflow(engine.services, { name: "blame", graph });
  const execution = await startExecution(engine.services, workflow.id, payload);
  const done = await waitForExecution(engine.db, execution.id, undefined, PROMPTLY_MS);
  return { done, steps: stepsByNode(done.steps) };
}

describe("a template rendering past its limit", () => {
  it("fails its node at once, naming the field and MAX_TEMPLATE_OUTPUT_BYTES, before V8's string limit", async () => {
    // 15,000 × 40,000 characters = 600 M: past V8's longest string, which used to throw inside rendering.
    const { done, steps } = await run(
      linked(
        node("start", "start"),
        node("say", "send_notification", { toRole: "ops", message: "{{payload.t}}".repeat(15_000) }),
      ),
      { t: "x".repeat(40_000) },
    );
    const error =
      /^data\.message: the rendered template is at least \d+ bytes; the limit is 1000000 \(MAX_TEMPLATE_OUTPUT_BYTES\)$/;
    expect(done.status).toBe("FAILED");
    expect(steps.start?.status).toBe("SUCCEEDED");
    expect(steps.say).toMatchObject({ status: "FAILED", attempt: 1, lostRuns: 0 });
    expect(steps.say?.error).toMatch(error);
    expect(done.error?.startsWith("say: data.message: the rendered template is at least")).toBe(true);
  });
});

describe("a 3,400-character templated toRole", () => {
  it("fails that node within one attempt, with the 200-character limit as the reason", async () => {
    const { done, steps } = await run(
      linked(
        node("start", "start"),
        node("n1", "send_notification", { toRole: "{{payload.role}}", message: "hello" }),
        node("n2", "send_notification", { toRole: "ops", message: "after" }),
      ),
      { role: incompressible(3400) },
    );
    const reason = "invalid input after templating: data.toRole: must be at most 200 characters; this one is 3400";
    expect(done.status).toBe("FAILED");
    expect(done.error).toBe(`n1: ${reason}`);
    expect(steps.n1).toMatchObject({ status: "FAILED", attempt: 1, lostRuns: 0, error: reason });
    expect(steps.n2).toBeUndefined();
    expect(await engine.db.notification.count({ where: { executionId: done.id } })).toBe(0);
  });
});

describe("a record PostgreSQL refuses for good", () => {
  it("fails the step whose notification passed btree's row limit, with PostgreSQL's reason, and not its batch-mates", async () => {
    const workflow = await createWorkflow(engine.services, {
      name: "unchecked roles",
      graph: linked(
        node("start", "start"),
        node("n1", "unchecked_notify", { toRole: "{{payload.role}}", message: "hello" }),
        node("n2", "send_notification", { toRole: "ops", message: "after" }),
      ),
    });
    // Started together, so their records travel in shared statements: one refused row must not fail the others.
    const roles = Array.from({ length: 12 }, (_, i) => (i === 5 ? incompressible(3400) : `role-${i}`));
    const started = await Promise.all(roles.map((role) => startExecution(engine.services, workflow.id, { role })));
    const done = await Promise.all(started.map((e) => waitForExecution(engine.db, e.id, undefined, PROMPTLY_MS)));

    const bad = done[5];
    const steps = stepsByNode(bad?.steps ?? []);
    const reason =
      /^notification could not be stored: index row size \d+ exceeds btree version \d maximum \d+ for index "Notification_toRole_createdAt_idx" \(SQLSTATE 54000\)$/;
    expect(bad?.status).toBe("FAILED");
    expect(steps.n1).toMatchObject({ status: "FAILED", attempt: 1, lostRuns: 0 });
    expect(steps.n1?.error).toMatch(reason);
    expect(bad?.error?.startsWith("n1: notification could not be stored: index row size")).toBe(true);
    expect(steps.n2).toBeUndefined();
    expect(await engine.db.notification.count({ where: { executionId: bad?.id } })).toBe(0);

    for (const [i, execution] of done.entries()) {
      if (i === 5) continue;
      expect(execution.status).toBe("SUCCEEDED");
      const sent = await engine.db.notification.findMany({ where: { executionId: execution.id } });
      expect(sent.map((n) => n.toRole).sort()).toEqual(["ops", `role-${i}`]);
    }
  });

  it("fails an http_call whose response holds a NUL character, which jsonb cannot store, naming its output", async () => {
    server.route("/nul", (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"text":"a\\u0000b"}');
    });
    const { done, steps } = await run(
      linked(
        node("start", "start"),
        node("h", "http_call", { method: "GET", url: server.url("/nul") }),
        node("n", "send_notification", { toRole: "ops", message: "got it" }),
      ),
      {},
    );
    expect(done.status).toBe("FAILED");
    expect(steps.h).toMatchObject({ status: "FAILED", attempt: 1, lostRuns: 0, output: null });
    expect(steps.h?.error).toMatch(
      /^output could not be stored: unsupported Unicode escape sequence.*\(SQLSTATE 22P05\)$/,
    );
    expect(done.error?.startsWith("h: output could not be stored")).toBe(true);
    expect(steps.n).toBeUndefined();
  });
});

describe("stored sizes", () => {
  it("does not store a 480 KB event's text once per step of a 100-node chain", async () => {
    const nodes = [
      node("start", "start"),
      ...Array.from({ length: 99 }, (_, i) =>
        node(`n${i + 1}`, "send_notification", { toRole: "ops", message: "{{payload.text}}" }),
      ),
    ];
    const size = async () => {
      const [row] = await engine.db.$queryRaw<{ bytes: bigint }[]>(
        Prisma.sql`SELECT pg_database_size(current_database()) AS bytes`,
      );
      return Number(row?.bytes);
    };
    const before = await size();
    const text = incompressible(480_000);
    const { done } = await run(linked(...nodes), { text });
    const grown = (await size()) - before;

    expect(done.status).toBe("SUCCEEDED");
    // Unbounded, each step stored the text in its input and again in its notification: 97 MB.
    expect(grown, `the database grew by ${grown} bytes`).toBeLessThan(8_000_000);
    const [stored] = await engine.db.$queryRaw<{ input: number; output: number; message: number }[]>(Prisma.sql`
      SELECT max(pg_column_size(s.input))::int AS input, max(pg_column_size(s.output))::int AS output,
             max(octet_length(n.message))::int AS message
      FROM "Step" s JOIN "Notification" n ON n."stepId" = s.id WHERE s."executionId" = ${done.id}`);
    expect(stored?.input).toBeLessThan(10_000);
    expect(stored?.output).toBeLessThan(10_000);
    expect(stored?.message).toBeLessThan(2_100);
    const first = await engine.db.notification.findFirstOrThrow({ where: { executionId: done.id } });
    expect(first.message).toBe(`${text.slice(0, 2000)}… [truncated: the message was 480000 bytes]`);
    const step = done.steps.find((s) => s.nodeId === "n1");
    expect(step?.input).toMatchObject({ truncated: true, bytes: expect.any(Number) });
  });
});
