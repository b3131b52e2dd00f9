import { z } from "zod";
import { defineHandler } from "./types.js";

/** The longest wait accepted: long waits are cheap (a row and a delayed job), but a typo of extra zeros is not intended. */
export const MAX_DELAY_MS = 366 * 24 * 60 * 60 * 1000;

const dataSchema = z
  .looseObject({
    ms: z.number().int().min(0).max(MAX_DELAY_MS).optional().describe("Milliseconds to wait"),
    seconds: z
      .number()
      .min(0)
      .max(MAX_DELAY_MS / 1000)
      .optional()
      .describe("Seconds to wait"),
    until: z.string().optional().describe("ISO 8601 time to wait until (templates allowed)"),
  })
  .refine((data) => [data.ms, data.seconds, data.until].filter((v) => v !== undefined).length === 1, {
    message: "exactly one of ms, seconds or until is required",
  });

/**
 * Parks the step as WAITING with `resumeAt` stored in the database; the runner
 * marks it SUCCEEDED when the time comes (a delayed job, or the reconciler).
 */
export const delayHandler = defineHandler({
  type: "delay",
  description: "Waits for a duration (ms or seconds) or until a time, durably: the wait survives restarts.",
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
