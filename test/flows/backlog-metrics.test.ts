/**
 * The backlog gauges under a known load: executions started while no worker runs are PENDING
 * with their entry steps runnable (and ageing); those in a concurrency line wait for a slot, not a
 * worker, so their steps are not counted; once a worker takes them, their slow calls are RUNNING
 * and the queue-wait histogram holds the second their jobs waited; once they finish, their workflow
 * has no series left.
 */
import { describe, expect, it } from "vitest";
import { startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, waitForExecution, waitUntil } from "../support/engine.js";
import { linked, node } from "../support/graphs.js";
import { TestHttpServer } from "../support/http-server.js";

const database = useTestDatabase();

/** One sample's value, by its full series name; undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(" ")[1]);
}

describe("backlog metrics", () => {
  it("counts runnable and running work per workflow, leaving out what waits for capacity", async () => {
    const server = await new TestHttpServer().start();
    server.delayMs = 1_500;
    const engine = await startTestEngine(database.url, { worker: false });
    try {
      const graph = linked(node("start", "start"), node("call", "http_call", { url: server.url("/slow") }));
      const free = await createWorkflow(engine.services, { name: "free", graph });
      const limited = await createWorkflow(engine.services, { name: "limited", graph, concurrency: { limit: 1 } });
      const started = [];
      for (let i = 0; i < 3; i++) started.push(await startExecution(engine.services, free.id, { i }));
      for (let i = 0; i < 3; i++) started.push(await startExecution(engine.services, limited.id, { i }));
      const scrape = () => engine.metrics.registry.metrics();
      const of = (id: string, name: string, status?: string) =>
        `${name}{workflow_id="${id}"${status ? `,status="${status}"` : ""}}`;

      // No worker: every execution PENDING; one of the limited ones let in, two in line.
      await waitUntil(
        async () => sample(await scrape(), of(limited.id, "workflow_backlog_steps", "PENDING")) === 1,
        "the limited workflow's admitted step",
      );
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      let text = await scrape();
      expect(sample(text, of(free.id, "workflow_backlog_executions", "PENDING"))).toBe(3);
      expect(sample(text, of(free.id, "workflow_backlog_steps", "PENDING"))).toBe(3);
      expect(sample(text, of(free.id, "workflow_backlog_steps", "RUNNING"))).toBe(0);
      expect(sample(text, of(free.id, "workflow_backlog_oldest_pending_seconds"))).toBeGreaterThanOrEqual(1);
      expect(sample(text, of(limited.id, "workflow_backlog_executions", "PENDING"))).toBe(3);
      expect(sample(text, of(limited.id, "workflow_backlog_steps", "PENDING"))).toBe(1);

      // A worker takes them: the free workflow's three calls are held by the slow server, RUNNING.
      await engine.startWorker();
      await waitUntil(
        async () => sample(await scrape(), of(free.id, "workflow_backlog_steps", "RUNNING")) === 3,
        "three calls running",
      );
      text = await scrape();
      expect(sample(text, of(free.id, "workflow_backlog_executions", "RUNNING"))).toBe(3);
      expect(sample(text, of(free.id, "workflow_backlog_steps", "PENDING"))).toBe(0);
      expect(sample(text, of(free.id, "workflow_backlog_oldest_pending_seconds"))).toBe(0);
      // The four jobs let in while no worker ran (three free, one limited) waited over a second in the queue.
      const waits = sample(text, "workflow_job_queue_wait_seconds_count") as number;
      const underASecond = sample(text, 'workflow_job_queue_wait_seconds_bucket{le="1"}') as number;
      expect(waits - underASecond).toBeGreaterThanOrEqual(4);

      for (const execution of started) await waitForExecution(engine.db, execution.id, ["SUCCEEDED"], 30_000);
      text = await scrape();
      expect(sample(text, of(free.id, "workflow_backlog_executions", "RUNNING"))).toBeUndefined();
      expect(sample(text, of(limited.id, "workflow_backlog_executions", "PENDING"))).toBeUndefined();
    } finally {
      await engine.stop();
      await server.stop();
    }
  });
});
