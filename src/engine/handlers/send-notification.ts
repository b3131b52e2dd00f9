import { z } from "zod";
import { defineHandler } from "./types.js";

/**
 * The longest toRole, checked at save (the text as written) and again after
 * templating. Roles are short names; a long one would also pass the row limit
 * of the index notifications are listed by (about 2,700 bytes).
 */
export const MAX_TO_ROLE_CHARS = 200;

/**
 * What the original engine used when its UI sent `data: {}` (its builder does,
 * for every node): missing fields take these defaults when the step runs. The
 * stored graph keeps what the client sent.
 */
export const DEFAULT_TO_ROLE = "AE";
export const DEFAULT_MESSAGE = "New event";

const dataSchema = z.looseObject({
  toRole: z
    .string()
    .min(1)
    .max(MAX_TO_ROLE_CHARS, {
      error: (issue) => `must be at most ${MAX_TO_ROLE_CHARS} characters; this one is ${String(issue.input).length}`,
    })
    .default(DEFAULT_TO_ROLE)
    .describe(`Who receives it, e.g. AE or manager (at most ${MAX_TO_ROLE_CHARS} characters)`),
  message: z
    .string()
    .default(DEFAULT_MESSAGE)
    .describe("The text; templates such as {{payload.lead.title}} are rendered"),
});

/** Stores a Notification row and publishes it to `notificationSent` subscribers. */
export const sendNotificationHandler = defineHandler({
  type: "send_notification",
  description: "Stores a notification for a role and publishes it to subscribers.",
  dataSchema,
  // The notification is a row stored with the step's outcome, published after commit.
  runsInMemory: true,
  async execute({ data, services }) {
    await services.notify({ toRole: data.toRole, message: data.message });
    return { kind: "done", output: { notified: data.toRole, message: data.message } };
  },
});
