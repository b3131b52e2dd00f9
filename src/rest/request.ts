/**
 * Reading and validating REST requests the way the original engine did: JSON
 * that does not parse, bytes that are not UTF-8, or JSON the database could
 * not store (see http/json-input.ts) is a 422 naming the problem. Unlike the
 * original, a body must say it is JSON (415 otherwise, before it is read): one
 * without a Content-Type, or a form's, may come from any site (see
 * http/json-content-type.ts).
 */
import { isUtf8 } from "node:buffer";
import type { Context } from "hono";
import type { z } from "zod";
import { contentTypeRefusal, isJsonContentType } from "../http/json-content-type.js";
import { findJsonProblem } from "../http/json-input.js";
import { detailFromZod, HttpError } from "./errors.js";

export async function readJsonBody(c: Context): Promise<unknown> {
  const contentType = c.req.header("content-type");
  if (!isJsonContentType(contentType)) throw new HttpError(415, contentTypeRefusal(contentType, "the body"));
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  if (text.trim() === "") {
    throw new HttpError(422, [{ loc: ["body"], msg: "Field required", type: "missing" }]);
  }
  // JSON is UTF-8 (RFC 8259): bad bytes are refused rather than silently replaced by U+FFFD.
  if (!isUtf8(bytes)) {
    throw new HttpError(422, [{ loc: ["body"], msg: "body is not valid UTF-8", type: "json_invalid" }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const msg = `JSON decode error: ${(error as Error).message}`;
    throw new HttpError(422, [{ loc: ["body"], msg, type: "json_invalid" }]);
  }
  const problem = findJsonProblem(value);
  if (problem)
    throw new HttpError(422, [{ loc: ["body", ...problem.path], msg: problem.message, type: "value_error" }]);
  return value;
}

export function parseWith<T extends z.ZodType>(
  schema: T,
  value: unknown,
  where: "body" | "query" | "path" | "header",
): z.output<T> {
  // reportInput lets the error tell "missing" from "wrong type".
  const parsed = schema.safeParse(value, { reportInput: true });
  if (!parsed.success) throw new HttpError(422, detailFromZod(parsed.error, where));
  return parsed.data;
}

export async function validBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  return parseWith(schema, await readJsonBody(c), "body");
}
