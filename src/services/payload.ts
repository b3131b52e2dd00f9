import { isPlainObject } from "../engine/index.js";
import { ValidationError } from "../errors.js";

/** An event or execution payload must be a JSON object within the size limit. */
export function checkPayload(payload: unknown, maxBytes: number, path: string): void {
  if (!isPlainObject(payload)) throw new ValidationError([{ path, message: "must be a JSON object" }]);
  const bytes = Buffer.byteLength(JSON.stringify(payload));
  if (bytes > maxBytes) {
    throw new ValidationError([{ path, message: `too large: ${bytes} bytes, the limit is ${maxBytes}` }]);
  }
}
