/**
 * The outside world as one step's handler sees it: HTTP, the clock, and
 * notifications (stored once per step, then published).
 */
import { isUniqueViolation } from "../../db/errors.js";
import type { HandlerServices } from "../handlers/types.js";
import type { StepRunnerDeps } from "./step-runner.js";
import type { StepRef } from "./transitions.js";

export function handlerServices(deps: StepRunnerDeps, ref: StepRef): HandlerServices {
  const { db, publisher, logger, clock, http } = deps;
  return {
    http,
    now: () => clock.now(),
    notify: async ({ toRole, message }) => {
      // One notification per step: a handler re-run after a crash finds it stored already.
      const created = await db.notification
        .create({ data: { executionId: ref.executionId, stepId: ref.stepId, toRole, message }, select: { id: true } })
        .catch((error: unknown) => {
          if (isUniqueViolation(error)) return undefined;
          throw error;
        });
      if (!created) return;
      logger.info({ ...ref, toRole, message }, "notification sent");
      const { executionId, stepId } = ref;
      await publisher.publishChanges([
        { type: "notification", notificationId: created.id, executionId, stepId, toRole },
      ]);
    },
  };
}
