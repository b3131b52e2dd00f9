import { z } from "zod";
import { defineHandler } from "./types.js";

/** The most items one for_each runs (each is an execution). */
export const MAX_FOR_EACH_ITEMS = 10_000;
/** The most children of one for_each running at once. */
export const MAX_FOR_EACH_CONCURRENCY = 1_000;

const PERCENT = /^(\d{1,3}(?:\.\d+)?)%$/;

const dataSchema = z.looseObject({
  items: z
    .unknown()
    .refine((items) => items !== undefined && items !== null, { message: "required" })
    .describe('The list to map over: a template yielding an array ("{{payload.order.lines}}"), or an array'),
  workflowId: z.string().min(1).describe("The workflow each item runs (its current version, pinned for every item)"),
  maxConcurrency: z
    .number()
    .int()
    .min(1)
    .max(MAX_FOR_EACH_CONCURRENCY)
    .optional()
    .meta({ default: 10 })
    .describe("Items running at once"),
  toleratedFailures: z
    .union([
      z.number().int().min(0),
      z
        .string()
        .regex(PERCENT, 'a percentage like "10%"')
        .refine((text) => Number.parseFloat(text) <= 100, "at most 100%"),
    ])
    .optional()
    .meta({ default: 0 })
    .describe('Failed items tolerated before the step fails: a count, or a percentage of the items ("10%")'),
});

/** How many failures `tolerated` allows among `count` items. */
export function toleratedCount(tolerated: number | string | undefined, count: number): number {
  if (tolerated === undefined) return 0;
  if (typeof tolerated === "number") return tolerated;
  const percent = Number.parseFloat(PERCENT.exec(tolerated)?.[1] ?? "0");
  return Math.floor((count * percent) / 100);
}

/**
 * Runs another workflow once per item of a list, as child executions with payload
 * `{item, index, parent}`, at most `maxConcurrency` at a time, and waits for all of them. The
 * list is rendered once and stored with the wait; children are keyed by index, so a retried
 * job or a crash never starts an item twice. Output: `{results, succeeded, failed}` in item order.
 */
export const forEachHandler = defineHandler({
  type: "for_each",
  description:
    "Runs a workflow once per item of a list (child executions, bounded concurrency) and collects the results.",
  dataSchema,
  templatedKeys: ["items", "workflowId"],
  async execute({ data }) {
    const { items } = data;
    if (!Array.isArray(items)) {
      const got = items === null ? "null" : typeof items;
      return { kind: "fail", error: `items must render to an array, got ${got}`, retryable: false };
    }
    if (items.length > MAX_FOR_EACH_ITEMS) {
      const error = `items: ${items.length} items, at most ${MAX_FOR_EACH_ITEMS}`;
      return { kind: "fail", error, retryable: false };
    }
    return {
      kind: "startChildren",
      children: {
        mode: "for_each",
        workflowId: data.workflowId,
        items,
        maxConcurrency: data.maxConcurrency ?? 10,
        toleratedFailures: toleratedCount(data.toleratedFailures, items.length),
      },
    };
  },
});
