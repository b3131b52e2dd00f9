/** Imports every type file (each registers itself on the builder) and builds the schema once. */
import { builder } from "./builder.js";
import "./types/scalars.js";
import "./types/workflow.js";
import "./types/execution.js";
import "./types/step.js";
import "./types/event.js";
import "./types/notification.js";
import "./types/node-type.js";
import "./types/subscriptions.js";
import "./types/replay.js";
import "./types/schedule.js";

builder.queryType({});
builder.mutationType({});

export const schema = builder.toSchema({ sortSchema: true });
