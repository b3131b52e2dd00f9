import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { printSortedSchema } from "../../src/graphql/print.js";
import { schema } from "../../src/graphql/schema.js";

describe("schema.graphql", () => {
  it("is the current SDL (run `npm run schema` after changing the schema)", () => {
    const checkedIn = readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8");
    expect(checkedIn).toBe(printSortedSchema());
  });

  it("has every query, mutation and subscription the contract names, with their arguments", () => {
    const contract = {
      Query: {
        workflows: ["first", "after", "isActive"],
        workflow: ["id"],
        executions: ["first", "after", "workflowId", "status"],
        execution: ["id"],
        nodeTypes: [],
        events: ["first", "after"],
        validateWorkflow: ["graph", "trigger"],
        simulateEvent: ["payload"],
      },
      Mutation: {
        createWorkflow: ["input"],
        updateWorkflow: ["id", "input"],
        deleteWorkflow: ["id"],
        sendEvent: ["payload", "idempotencyKey"],
        startExecution: ["workflowId", "payload"],
        cancelExecution: ["id"],
        retryExecution: ["id"],
      },
      Subscription: {
        executionUpdated: ["id", "afterSeq"],
        stepUpdated: ["executionId"],
        executionsChanged: ["workflowId"],
        notificationSent: ["toRole"],
      },
    };
    const roots = {
      Query: schema.getQueryType(),
      Mutation: schema.getMutationType(),
      Subscription: schema.getSubscriptionType(),
    };
    for (const [root, fields] of Object.entries(contract)) {
      const type = roots[root as keyof typeof roots];
      for (const [name, args] of Object.entries(fields)) {
        const field = type?.getFields()[name];
        expect(field, `${root}.${name}`).toBeDefined();
        expect(
          field?.args.map((a) => a.name),
          `${root}.${name} arguments`,
        ).toEqual(expect.arrayContaining(args));
      }
    }
    expect(schema.getType("JSON")).toBeDefined();
    expect(schema.getType("DateTime")).toBeDefined();
  });
});
