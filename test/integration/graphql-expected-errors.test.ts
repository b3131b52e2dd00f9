/**
 * Errors that are the client's (bad input, an unknown id, a query past a
 * limit) reach the client with a clear message and a code, and are not
 * logged as failures: the operator's error log is for the server's own.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import type { Yoga } from "../../src/graphql/yoga.js";
import { useTestDatabase } from "../support/database.js";
import { capturingLogger, startTestEngine, type TestEngine } from "../support/engine.js";
import { gql } from "../support/graphql.js";

const database = useTestDatabase();
const lines: string[] = [];
let engine: TestEngine;
let yoga: Yoga;

beforeAll(async () => {
  engine = await startTestEngine(database.url, { worker: false, logger: capturingLogger(lines) });
  yoga = createApp(engine).yoga;
});

afterAll(async () => {
  await yoga?.dispose();
  await engine?.stop();
});

/** What was logged at warn level or above while `work` ran. */
async function loggedAboveInfo(work: () => Promise<void>): Promise<unknown[]> {
  const from = lines.length;
  await work();
  return lines
    .slice(from)
    .map((line) => JSON.parse(line) as { level: number })
    .filter((entry) => entry.level >= 40);
}

describe("expected errors", () => {
  it("BAD_USER_INPUT and NOT_FOUND are answered, not logged as errors", async () => {
    const logged = await loggedAboveInfo(async () => {
      const invalid = await gql(yoga, `mutation($input: WorkflowInput!) { createWorkflow(input: $input) { id } }`, {
        input: { name: "Broken", graph: { nodes: [{ id: "a", type: "no_such_type" }], edges: [] } },
      });
      expect(invalid.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      const missing = await gql(yoga, `{ execution(id: "00000000-0000-4000-8000-000000000000") { id } }`);
      expect(missing.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
      const conflict = await gql(
        yoga,
        `mutation { cancelExecution(id: "00000000-0000-4000-8000-000000000000") { id } }`,
      );
      expect(conflict.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    });
    expect(logged).toEqual([]);
  });
});

describe("queries past a limit", () => {
  const level = (inner: string) => `executions(first: 1) { edges { node { workflow { ${inner} } } } }`;
  const cases = [
    {
      what: "too deep",
      query: `{ ${level(level(level(level("id"))))} }`,
      message: /^query depth \d+ exceeds the limit of 12 \(GRAPHQL_MAX_DEPTH\)$/,
    },
    {
      what: "too many aliases",
      query: `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: nodeTypes { type }`).join(" ")} }`,
      message: /^query has 20 aliases, more than the limit of 15 \(GRAPHQL_MAX_ALIASES\)$/,
    },
    {
      what: "too many tokens",
      query: `{ ${Array.from({ length: 5100 }, () => "__typename").join(" ")} }`,
      message: /^query has more than 5000 tokens, the limit \(GRAPHQL_MAX_TOKENS\)$/,
      code: "GRAPHQL_PARSE_FAILED",
    },
    {
      what: "too many directives",
      query: `{ __typename ${Array.from({ length: 21 }, () => "@include(if: true)").join(" ")} }`,
      message: /^query has 21 directives, more than the limit of 20$/,
    },
    {
      what: "too costly",
      query: `{ executions(first: 10000) { edges { node { payload steps { input output } } } } }`,
      // The cost rule words its own message; it names the cost, the limit and its setting.
      message: /cost.*5000.*GRAPHQL_MAX_COST|GRAPHQL_MAX_COST.*5000/i,
    },
  ];

  for (const { what, query, message, code = "GRAPHQL_VALIDATION_FAILED" } of cases) {
    it(`${what}: a message that names the limit, not "Syntax Error", and nothing logged`, async () => {
      const logged = await loggedAboveInfo(async () => {
        const result = await gql(yoga, query);
        expect(result.data ?? null).toBeNull();
        const error = result.errors?.[0];
        expect(error?.message, JSON.stringify(result.errors?.slice(0, 3))).not.toMatch(/syntax error/i);
        expect(error?.message, JSON.stringify(result.errors?.slice(0, 3))).toMatch(message);
        expect(error?.extensions?.code).toBe(code);
      });
      expect(logged).toEqual([]);
    });
  }

  it("a real syntax error still says so", async () => {
    const result = await gql(yoga, `{ workflows(first: 1) { `);
    expect(result.errors?.[0]?.message).toMatch(/^Syntax Error: /);
  });
});
