/**
 * The outside world as one step's handler sees it: HTTP, the clock, and
 * notifications. A notification is not written when the handler asks for it
 * but collected, then stored in the transaction that records the step's
 * outcome (and published after it commits): it exists exactly when the step's
 * run was recorded, and costs no round trip of its own.
 */
import type { HandlerServices, HttpRequest } from "../handlers/types.js";
import type { Clock } from "../ports.js";
import type { PendingNotification } from "../store/change-set.js";
import { limitMessage } from "./step-context.js";

interface ServicesDeps {
  http: HandlerServices["http"];
  clock: Clock;
  limits: { maxOutputBytes: number };
}

/**
 * With `traceparent` (traces on: the step attempt's span), every request carries it, so the
 * service called joins the execution's trace; a traceparent header the node sets itself wins.
 */
export function handlerServices(
  deps: ServicesDeps,
  notifications: PendingNotification[],
  traceparent?: string,
): HandlerServices {
  const { clock, http } = deps;
  return {
    http: traceparent === undefined ? http : (request) => http(withTraceparent(request, traceparent)),
    now: () => clock.now(),
    notify: async ({ toRole, message }) => {
      // Stored under the same limit as a step's output, so a large event is not copied into every notification.
      notifications.push({ toRole, message: limitMessage(message, deps.limits.maxOutputBytes) });
    },
  };
}

function withTraceparent(request: HttpRequest, traceparent: string): HttpRequest {
  const named = Object.keys(request.headers).some((name) => name.toLowerCase() === "traceparent");
  return named ? request : { ...request, headers: { ...request.headers, traceparent } };
}
