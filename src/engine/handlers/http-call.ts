import { validateHeaderName, validateHeaderValue } from "node:http";
import { z } from "zod";
import { isPlainObject } from "../json-logic.js";
import { defineHandler, type HttpResponse, type StepOutcome } from "./types.js";

export const DEFAULT_HTTP_TIMEOUT_MS = 20_000;
const DEFAULT_RETRY = { attempts: 3, backoffMs: 500 };
/** The original engine returned the first 500 characters of the body as `text`. */
const TEXT_PREVIEW_CHARS = 500;

const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;

/**
 * Header names and values Node would refuse to send. Checked by the schema, so
 * a bad name or a static bad value is refused when the workflow is saved and a
 * templated one fails the step at once (a retry would send the same header).
 */
function checkHeaders(headers: Record<string, string>, context: z.RefinementCtx): void {
  for (const [name, value] of Object.entries(headers)) {
    const problem = headerProblem(name, value);
    if (problem) context.addIssue({ code: "custom", path: [name], message: problem });
  }
}

function headerProblem(name: string, value: string): string | undefined {
  try {
    validateHeaderName(name);
  } catch {
    return "not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)";
  }
  try {
    validateHeaderValue(name, value);
  } catch {
    return "the value holds a character a header cannot carry (a line break, another control character, or one above U+00FF)";
  }
  return undefined;
}

const dataSchema = z.looseObject({
  method: z
    .string()
    .transform((m) => m.toUpperCase())
    .pipe(z.enum(HTTP_METHODS))
    .default("GET")
    .describe("HTTP method"),
  url: z
    .string()
    .min(1)
    .refine((url) => url.includes("{{") || /^https?:\/\/[^/\s]+/i.test(url), "must be an http(s) URL")
    .describe("Target URL (templates allowed)"),
  headers: z
    .record(z.string(), z.string())
    .superRefine(checkHeaders)
    .optional()
    .describe("Request headers (templates allowed)"),
  query: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .optional()
    .describe("Query string parameters (templates allowed), merged into the URL's own; a key here replaces it there"),
  body: z.unknown().optional().describe("JSON body; strings inside are templated, deeply"),
  timeoutMs: z.number().int().min(1).max(300_000).optional().describe("Per-attempt timeout, default 20000"),
  retry: z
    .object({
      attempts: z.number().int().min(1).max(10).describe("Total attempts, default 3"),
      backoffMs: z.number().int().min(0).max(3_600_000).default(DEFAULT_RETRY.backoffMs),
    })
    .optional(),
  allowHttpErrors: z.boolean().optional().describe("Succeed with any status once retries are over"),
});

/** Network errors, timeouts, 408, 429 and 5xx may succeed on a later try. */
const isRetryableStatus = (status: number) => status === 408 || status === 429 || status >= 500;

function toOutput(response: HttpResponse) {
  const isJson = /\bjson\b/i.test(response.contentType ?? "");
  let body: unknown = response.body;
  if (isJson && response.body !== "") {
    try {
      body = JSON.parse(response.body);
    } catch {
      body = response.body; // declared JSON but is not: keep the text rather than fail the step
    }
  }
  return {
    status_code: response.statusCode,
    headers: response.headers,
    body,
    text: response.body.slice(0, TEXT_PREVIEW_CHARS),
    duration_ms: response.durationMs,
  };
}

/**
 * Calls an HTTP endpoint once per attempt. It sends `Idempotency-Key:
 * <executionId>:<nodeId>` so the receiver can drop the duplicates that
 * at-least-once execution and retries may produce.
 */
export const httpCallHandler = defineHandler({
  type: "http_call",
  description:
    "Sends an HTTP request with retries on network errors, 408, 429 and 5xx. Output: status_code, headers, body, text, duration_ms.",
  dataSchema,
  templatedKeys: ["url", "headers", "query", "body"],
  retryPolicy: (data) => data.retry ?? DEFAULT_RETRY,
  async execute({ data, execution, node, attempt, maxAttempts, services, signal }): Promise<StepOutcome> {
    const query: Record<string, string> = {};
    for (const [key, value] of Object.entries(data.query ?? {})) query[key] = String(value);
    const headers: Record<string, string> = {
      ...(isPlainObject(data.headers) ? data.headers : {}),
      "Idempotency-Key": `${execution.id}:${node.id}`,
    };
    const response = await services.http({
      method: data.method,
      url: data.url,
      headers,
      query,
      body: data.body,
      timeoutMs: data.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS,
      ...(signal ? { signal } : {}),
    });
    const output = toOutput(response);
    const status = response.statusCode;
    if (status >= 200 && status < 300) return { kind: "done", output };
    const retryable = isRetryableStatus(status) && attempt < maxAttempts;
    if (!retryable && data.allowHttpErrors === true) return { kind: "done", output };
    return { kind: "fail", error: `HTTP ${status} from ${data.method} ${data.url}`, retryable, output };
  },
});
