import { z } from "zod";
import { defineHandler } from "./types.js";

const dataSchema = z.looseObject({
  toRole: z.string().min(1).describe("Who receives it, e.g. AE or manager"),
  message: z.string().describe("The text; templates such as {{payload.lead.title}} are rendered"),
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
