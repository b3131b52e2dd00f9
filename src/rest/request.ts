/**
 * Reading and validating REST requests the way the original engine did: a
 * body is JSON when its Content-Type says so or when it has none; anything
 * else, or JSON that does not parse, is a 422 naming the problem.
 */
import type { Context } from "hono";
import type { z } from "zod";
import { detailFromZod, HttpError } from "./errors.js";

export async function readJsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") {
    throw new HttpError(422, [{ loc: ["body"], msg: "Field required", type: "missing" }]);
  }
  const contentType = c.req.header("content-type");
  if (contentType && !/^application\/([\w.+-]+\+)?json\b/i.test(contentType.trim())) {
    throw new HttpError(422, [
      { loc: ["body"], msg: `Content-Type must be application/json, got ${contentType}`, type: "content_type" },
    ]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const msg = `JSON decode error: ${(error as Error).message}`;
    throw new HttpError(422, [{ loc: ["body"], msg, type: "json_invalid" }]);
  }
}

export function parseWith<T extends z.ZodType>(
  schema: T,
  value: unknown,
  where: "body" | "query" | "path",
): z.output<T> {
  // reportInput lets the error tell "missing" from "wrong type".
  const parsed = schema.safeParse(value, { reportInput: true });
  if (!parsed.success) throw new HttpError(422, detailFromZod(parsed.error, where));
  return parsed.data;
}

export async function validBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  return parseWith(schema, await readJsonBody(c), "body");
}
