/**
 * Records a succeeded step on its own through the store's one door
 * (recordOutcome): in one statement when its completion decides what follows,
 * else in the locked transaction. For the runner-mechanism tests, which drive
 * the store directly.
 */
import type { SqlDb } from "../../src/db/sql.js";
import { planFollowUp } from "../../src/engine/plan-successors.js";
import type { AdvanceOptions, ClaimedStep } from "../../src/engine/store/advance-execution.js";
import type { ChangeSet } from "../../src/engine/store/change-set.js";
import type { Succeeded } from "../../src/engine/store/held-step.js";
import { recordOutcome } from "../../src/engine/store/record-outcome.js";
import type { PinnedWorkflow } from "../../src/engine/workflow-cache.js";

/** The successor claimed (if any) and the changes written (none when the step was no longer held). */
export async function completeStep(
  db: SqlDb,
  workflow: PinnedWorkflow,
  finish: Succeeded,
  options: AdvanceOptions,
): Promise<{ result: ClaimedStep | undefined; changes: ChangeSet }> {
  const followUp = planFollowUp(workflow.index, finish.step.nodeId, finish.next, options.maxStepsPerExecution);
  const plan = { kind: "succeed", finish, route: { kind: "alone", followUp } } as const;
  const { result, changes } = await recordOutcome(db, workflow, plan, options);
  const [written] = changes;
  if (!written || changes.length !== 1) throw new Error(`a success writes one change set, not ${changes.length}`);
  return { result: result.kind === "recorded" ? result.next : undefined, changes: written };
}
