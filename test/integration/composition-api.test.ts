/**
 * Composition as clients see it: a for_each's children over GraphQL (Execution.children, parent,
 * childIndex, callDepth) and REST (parent_execution_id, parent_step_id, child_index), and the two
 * node types in nodeTypes with their data schemas; bad data refused at save, naming the field.
 */
import { describe, expect, it } from "vitest";
import { startExecution } from "../../src/services/executions.js";
import { createWorkflow } from "../../src/services/workflows.js";
import { useAppEngine } from "../support/app-engine.js";
import { waitForExecution } from "../support/engine.js";
import { gql } from "../support/graphql.js";
import { linked, node } from "../support/graphs.js";
import { rest } from "../support/rest.js";

const served = useAppEngine();

describe("child executions over the APIs", () => {
  it("GraphQL lists a parent's children in item order, each linking back; REST names the parent", async () => {
    const item = await createWorkflow(served.engine.services, {
      name: "item",
      graph: linked(
        node("start", "start"),
        node("note", "send_notification", { toRole: "ops", message: "{{payload.item}}" }),
      ),
    });
    const parent = await createWorkflow(served.engine.services, {
      name: "map",
      graph: linked(
        node("start", "start"),
        node("each", "for_each", { items: "{{payload.items}}", workflowId: item.id }),
      ),
    });
    const started = await startExecution(served.engine.services, parent.id, { items: ["a", "b", "c"] });
    await waitForExecution(served.engine.db, started.id, ["SUCCEEDED"]);

    const read = await gql(
      served.yoga,
      `query ($id: ID!) { execution(id: $id) { callDepth parent { id }
         children(first: 10) { childIndex callDepth status payload parent { id } parentStepId } } }`,
      { id: started.id },
    );
    expect(read.errors).toBeUndefined();
    const execution = read.data?.execution;
    expect(execution.callDepth).toBe(0);
    expect(execution.parent).toBeNull();
    const children = [...execution.children].sort((a, b) => a.childIndex - b.childIndex);
    expect(children.map((c: { payload: { item: string } }) => c.payload.item)).toEqual(["a", "b", "c"]);
    for (const child of children) {
      expect(child).toMatchObject({ callDepth: 1, status: "SUCCEEDED", parent: { id: started.id } });
    }

    const kid = await served.engine.db.execution.findFirstOrThrow({
      where: { parentExecutionId: started.id, childIndex: 2 },
    });
    const viaRest = await rest(served.app, "GET", `/executions/${kid.id}`);
    expect(viaRest.status).toBe(200);
    expect(viaRest.body).toMatchObject({
      parent_execution_id: started.id,
      parent_step_id: children[2].parentStepId,
      child_index: 2,
    });
  });

  it("nodeTypes describes call_workflow and for_each; bad data is refused at save naming the field", async () => {
    const types = await gql(served.yoga, "{ nodeTypes { type dataSchema } }");
    const listed = (types.data?.nodeTypes ?? []) as { type: string; dataSchema: { properties: object } }[];
    const byType = Object.fromEntries(listed.map((t) => [t.type, t]));
    expect(Object.keys(byType.call_workflow?.dataSchema.properties ?? {})).toEqual(
      expect.arrayContaining(["workflowId", "payload", "wait", "onChildFailure"]),
    );
    expect(Object.keys(byType.for_each?.dataSchema.properties ?? {})).toEqual(
      expect.arrayContaining(["items", "workflowId", "maxConcurrency", "toleratedFailures"]),
    );

    const refused = await rest(served.app, "POST", "/workflows", {
      name: "bad map",
      definition: {
        nodes: [
          { id: "start", type: "start" },
          {
            id: "each",
            type: "for_each",
            data: { items: [], workflowId: "x", maxConcurrency: 0, toleratedFailures: "150%" },
          },
          { id: "call", type: "call_workflow", data: { onChildFailure: "ignore" } },
        ],
        edges: [
          { source: "start", target: "each" },
          { source: "each", target: "call" },
        ],
      },
    });
    expect(refused.status).toBe(422);
    const text = JSON.stringify(refused.body);
    for (const field of ["maxConcurrency", "toleratedFailures", "workflowId", "onChildFailure"])
      expect(text).toContain(field);
  });
});
