/** What routes document besides their success: the answers every route of a kind gives, for the OpenAPI document. */
import type { z } from "zod";
import { ErrorOut, ValidationErrorOut } from "./schemas.js";

export const ok = (schema: z.ZodType, description: string) => ({
  200: { description, content: { "application/json": { schema } } },
});
export const notFound = (what: string) => ({
  404: { description: `${what} not found`, content: { "application/json": { schema: ErrorOut } } },
});
/** What a route that reads a JSON body may answer besides its success. */
export const invalid = {
  413: { description: "Body larger than MAX_REQUEST_BYTES", content: { "application/json": { schema: ErrorOut } } },
  415: {
    description: "Content-Type is not JSON (a form or text body could come from any site)",
    content: { "application/json": { schema: ErrorOut } },
  },
  422: { description: "Validation failed", content: { "application/json": { schema: ValidationErrorOut } } },
};
export const jsonBody = (schema: z.ZodType, description?: string) => ({
  body: { content: { "application/json": { schema } }, required: true, description },
});
