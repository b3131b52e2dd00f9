/**
 * The explicit list of node types. To add one, write a handler object in its own
 * file (see types.ts) and append it here; nothing registers itself on import.
 */
import { branchHandler } from "./branch.js";
import { callWorkflowHandler } from "./call-workflow.js";
import { delayHandler } from "./delay.js";
import { endHandler } from "./end.js";
import { forEachHandler } from "./for-each.js";
import { httpCallHandler } from "./http-call.js";
import { sendNotificationHandler } from "./send-notification.js";
import { startHandler } from "./start.js";
import { transformHandler } from "./transform.js";
import type { NodeHandler } from "./types.js";
import { waitForEventHandler } from "./wait-for-event.js";

export const builtinHandlers: readonly NodeHandler[] = [
  startHandler,
  endHandler,
  sendNotificationHandler,
  httpCallHandler,
  delayHandler,
  branchHandler,
  waitForEventHandler,
  transformHandler,
  callWorkflowHandler,
  forEachHandler,
];

export type HandlerRegistry = ReadonlyMap<string, NodeHandler>;

export function createHandlerRegistry(handlers: readonly NodeHandler[] = builtinHandlers): HandlerRegistry {
  const registry = new Map<string, NodeHandler>();
  for (const handler of handlers) {
    if (registry.has(handler.type)) throw new Error(`node type "${handler.type}" is registered twice`);
    registry.set(handler.type, handler);
  }
  return registry;
}
