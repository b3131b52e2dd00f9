/**
 * The REST edge of error handling, in the original engine's (FastAPI's) shapes:
 * `{"detail": "Workflow not found"}` for simple errors, and 422 with
 * `{"detail": [{loc, msg, type}]}` for bodies that fail validation.
 */
import { randomUUID } from "node:crypto";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { isDatabaseUnavailable } from "../db/errors.js";
import { AppError, type Problem, ValidationError } from "../errors.js";
import { isUnstorableTextError, UNSTORABLE_TEXT_MESSAGE } from "../http/json-input.js";
import type { Logger } from "../logger.js";

export interface DetailItem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** An error that already knows its HTTP answer. */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly detail: string | DetailItem[],
  ) {
    super(typeof detail === "string" ? detail : "request validation failed");
  }
}

/** zod issues → FastAPI-style items under `body` (or `query`, `path`). */
export function detailFromZod(error: z.ZodError, where: "body" | "query" | "path" | "header"): DetailItem[] {
  return error.issues.map((issue) => {
    const loc = [where, ...issue.path.map((p) => (typeof p === "number" ? p : String(p)))];
    if (issue.code === "invalid_type" && issue.input === undefined)
      return { loc, msg: "Field required", type: "missing" };
    if (issue.code === "invalid_type") {
      return { loc, msg: `Input should be a valid ${friendlyType(issue.expected)}`, type: `${issue.expected}_type` };
    }
    return { loc, msg: issue.message, type: "value_error" };
  });
}

function friendlyType(expected: string): string {
  return expected === "record" || expected === "object" ? "dictionary" : expected;
}

/** Validation problems from the services ("graph.nodes[3].data.url") → items under `body`. */
export function detailFromProblems(problems: Problem[], renames: Record<string, string> = {}): DetailItem[] {
  return problems.map((problem) => {
    const loc: (string | number)[] = ["body"];
    for (const part of problem.path.match(/[^.[\]]+/g) ?? []) loc.push(/^\d+$/.test(part) ? Number(part) : part);
    if (typeof loc[1] === "string" && renames[loc[1]]) loc[1] = renames[loc[1]] as string;
    return { loc, msg: problem.message, type: "value_error" };
  });
}

const STATUS: Record<AppError["code"], ContentfulStatusCode> = { BAD_USER_INPUT: 422, NOT_FOUND: 404, CONFLICT: 409 };

/** Maps any error to a response; unexpected ones are logged with an id and masked. */
export function errorResponse(c: Context, error: unknown, logger: Logger, renames?: Record<string, string>) {
  if (error instanceof HttpError) return c.json({ detail: error.detail }, error.status);
  if (error instanceof ValidationError) return c.json({ detail: detailFromProblems(error.problems, renames) }, 422);
  if (error instanceof AppError) return c.json({ detail: error.message }, STATUS[error.code]);
  if (isUnstorableTextError(error)) {
    return c.json({ detail: [{ loc: ["request"], msg: UNSTORABLE_TEXT_MESSAGE, type: "value_error" }] }, 422);
  }
  // PostgreSQL unreachable (restarting, failing over): temporary, so 503 with Retry-After, not a 500
  // (found by `npm run chaos`). A client retrying with its Idempotency-Key is safe.
  if (isDatabaseUnavailable(error)) {
    logger.warn({ err: error, method: c.req.method, path: c.req.path }, "database unavailable; answered 503");
    c.header("Retry-After", "1");
    return c.json({ detail: "Service temporarily unavailable: the database cannot be reached. Retry shortly." }, 503);
  }
  const errorId = randomUUID();
  logger.error({ err: error, errorId, method: c.req.method, path: c.req.path }, "unexpected REST error");
  return c.json({ detail: "Internal Server Error", error_id: errorId }, 500);
}
