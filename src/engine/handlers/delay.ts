import { z } from "zod";
import { defineHandler } from "./types.js";

/** The longest wait accepted: long waits are cheap (a row and a delayed job), but a typo of extra zeros is not intended. */
export const MAX_DELAY_MS = 366 * 24 * 60 * 60 * 1000;

const dataSchema = z
  .looseObject({
    ms: z
      .number()
      .int()
      .min(0)
      .max(MAX_DELAY_MS)
      .optional()
      // Shown in nodeTypes' JSON Schema; applied by execute() only when seconds and until are absent too.
      .meta({ default: 0 })
      .describe("Milliseconds to wait (0 when none of ms, seconds and until is given)"),
    seconds: z
      .number()
      .min(0)
      .max(MAX_DELAY_MS / 1000)
      .optional()
      .describe("Seconds to wait"),
    until: z.string().optional().describe("ISO 8601 time to wait until (templates allowed)"),
  })
  // None of them is a wait of 0 ms, as in the original engine (its UI sends `data: {}`).
  .refine((data) => [data.ms, data.seconds, data.until].filter((v) => v !== undefined).length <= 1, {
    message: "at most one of ms, seconds or until may be given",
  });

/**
 * Parks the step as WAITING with `resumeAt` stored in the database; the runner
 * marks it SUCCEEDED when the time comes (a delayed job, or the reconciler).
 */
export const delayHandler = defineHandler({
  type: "delay",
  description:
    "Waits for a duration (ms or seconds) or until a time, durably: the wait survives restarts. With none of them, 0 ms.",
  dataSchema,
  // Only a wait already over runs on in memory; any other is parked as usual.
  runsInMemory: true,
  async execute({ data, services }) {
    const now = services.now();
    let until: Date;
    if (data.until !== undefined) {
      until = new Date(data.until);
      if (Number.isNaN(until.getTime())) {
        return { kind: "fail", error: `delay.until: "${data.until}" is not a valid ISO 8601 time`, retryable: false };
      }
    } else {
      until = new Date(now.getTime() + (data.ms ?? (data.seconds ?? 0) * 1000));
    }
    return { kind: "wait", until, output: { until: until.toISOString() } };
  },
});
