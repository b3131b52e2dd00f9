/**
 * The outside world as one step's handler sees it: HTTP, the clock, and
 * notifications (stored once per step, then published).
 */
import { randomUUID } from "node:crypto";
import { Prisma } from "../../generated/prisma/client.js";
import type { HandlerServices } from "../handlers/types.js";
import type { StepRunnerDeps } from "./step-runner.js";
import type { StepRef } from "./transitions.js";

export function handlerServices(deps: StepRunnerDeps, ref: StepRef): HandlerServices {
  const { sql, publisher, logger, clock, http } = deps;
  return {
    http,
    now: () => clock.now(),
    notify: async ({ toRole, message }) => {
      // One notification per step: a handler re-run after a crash finds it stored already.
      const [created] = await sql.query<{ id: string }>(Prisma.sql`
        INSERT INTO "Notification" (id, "executionId", "stepId", "toRole", message)
        VALUES (${randomUUID()}, ${ref.executionId}, ${ref.stepId}, ${toRole}, ${message})
        ON CONFLICT ("stepId") DO NOTHING
        RETURNING id`);
      if (!created) return;
      logger.info({ ...ref, toRole, message }, "notification sent");
      const { executionId, stepId } = ref;
      await publisher.publishChanges([
        { type: "notification", notificationId: created.id, executionId, stepId, toRole },
      ]);
    },
  };
}
