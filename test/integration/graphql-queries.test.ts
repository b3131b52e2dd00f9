/**
 * Nested selections must not cause N+1 queries: listing executions with their
 * steps and workflows costs the same number of SQL statements for 5 rows as for 50.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { createDb, type Db } from "../../src/db/client.js";
import type { Yoga } from "../../src/graphql/yoga.js";
import { startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, type TestEngine, waitForExecution } from "../support/engine.js";
import { gql } from "../support/graphql.js";

const database = useTestDatabase();
let engine: TestEngine;
let countingDb: Db;
let yoga: Yoga;
let statements: string[] = [];

beforeAll(async () => {
  engine = await startTestEngine(database.url);
  countingDb = createDb(database.url, { poolSize: 2, onQuery: (sql) => statements.push(sql) });
  yoga = createApp({ ...engine, db: countingDb, services: { ...engine.services, db: countingDb } }).yoga;
  const workflows = await Promise.all(
    [1, 2, 3].map((n) =>
      createWorkflow(engine.services, {
        name: `W${n}`,
        graph: {
          nodes: [
            { id: "start", type: "start" },
            { id: "say", type: "send_notification", data: { toRole: "ops", message: "hi" } },
          ],
          edges: [{ source: "start", target: "say" }],
        },
      }),
    ),
  );
  const started = [];
  for (let i = 0; i < 50; i++)
    started.push(await startExecution(engine.services, (workflows[i % 3] as { id: string }).id, { i }));
  for (const execution of started) await waitForExecution(engine.db, execution.id);
});

afterAll(async () => {
  await yoga?.dispose();
  await countingDb?.$disconnect();
  await engine?.stop();
});

async function countStatements(first: number) {
  statements = [];
  const result = await gql(
    yoga,
    `query($first: Int) { executions(first: $first) { edges { node { id status durationMs workflow { id name version } steps(first: 10) { nodeId status output } notifications(first: 10) { message } } } } }`,
    { first },
  );
  expect(result.errors).toBeUndefined();
  expect(result.data?.executions.edges).toHaveLength(first);
  expect(result.data?.executions.edges[0].node.steps).toHaveLength(2);
  return statements.length;
}

describe("query planning", () => {
  it("lists 50 executions with steps, workflows and notifications in a fixed number of statements", async () => {
    const forFive = await countStatements(5);
    const forFifty = await countStatements(50);
    expect(forFifty).toBe(forFive);
    expect(forFifty).toBeLessThanOrEqual(5);
  });
});
