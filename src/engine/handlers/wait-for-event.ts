import { z } from "zod";
import { defineHandler } from "./types.js";

/** The longest wait for an event, and the longest lookback. */
export const MAX_EVENT_WAIT_MS = 365 * 24 * 60 * 60 * 1000;

const dataSchema = z
  .looseObject({
    match: z
      .unknown()
      .refine((rule) => rule !== undefined && rule !== null, { message: "required" })
      .describe(
        "JSONLogic rule over the incoming event (its fields at the top level); strings inside are templates rendered when the wait starts",
      ),
    timeoutMs: z.number().int().min(1).max(MAX_EVENT_WAIT_MS).optional().describe("Give up after this many ms"),
    timeout: z
      .looseObject({
        seconds: z
          .number()
          .positive()
          .max(MAX_EVENT_WAIT_MS / 1000),
      })
      .optional()
      .describe("Give up after this many seconds (instead of timeoutMs)"),
    lookbackMs: z
      .number()
      .int()
      .min(0)
      .max(MAX_EVENT_WAIT_MS)
      .optional()
      .meta({ default: 0 })
      .describe("Also count events received this long before the execution's trigger"),
    onTimeout: z
      .enum(["continue", "fail"])
      .optional()
      .meta({ default: "continue" })
      .describe("continue: succeed with timedOut true; fail: fail with 'timed out waiting for event'"),
  })
  .refine((data) => data.timeoutMs === undefined || data.timeout === undefined, {
    message: "at most one of timeoutMs or timeout may be given",
  });

/**
 * Parks the step until an event satisfying `match` arrives (or one already
 * did, since the execution's trigger); the runner and the store do the rest
 * (store/await-event.ts, store/resolve-waits.ts).
 */
export const waitForEventHandler = defineHandler({
  type: "wait_for_event",
  description:
    "Waits for an event that satisfies a JSONLogic rule (templated with this execution's data), received after this execution's trigger; optionally with a timeout.",
  dataSchema,
  templatedKeys: ["match"],
  rules(data) {
    return [{ path: "match", rule: data.match }];
  },
  async execute({ data, node, services }) {
    const ms = data.timeoutMs ?? (data.timeout ? Math.round(data.timeout.seconds * 1000) : undefined);
    const until = ms === undefined ? undefined : new Date(services.now().getTime() + ms);
    return {
      kind: "awaitEvent",
      wait: {
        match: data.match,
        unrendered: (node.data as { match?: unknown } | undefined)?.match,
        until,
        lookbackMs: data.lookbackMs ?? 0,
        failOnTimeout: data.onTimeout === "fail",
      },
    };
  },
});
