import { builder } from "../builder.js";

builder.prismaObject("Notification", {
  description: "What a send_notification step delivered.",
  fields: (t) => ({
    id: t.exposeID("id"),
    executionId: t.exposeID("executionId"),
    execution: t.relation("execution"),
    step: t.relation("step"),
    toRole: t.exposeString("toRole"),
    message: t.exposeString("message"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});
