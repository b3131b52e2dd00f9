/**
 * The largest GraphQL result one response or subscription event may carry
 * (GRAPHQL_MAX_RESPONSE_BYTES). The cost estimate (cost.ts) bounds how many
 * values an operation asks for, not how large they are: a step's output may
 * hold a quarter of a megabyte, an event's payload a megabyte. A larger result
 * is replaced by one error telling the client to ask for less, before it is
 * serialized, so it is never turned into text or held twice.
 */
import { type ExecutionResult, GraphQLError } from "graphql";
import { handleStreamOrSingleExecutionResult, type Plugin } from "graphql-yoga";

/**
 * Whether `value` as JSON would be longer than `maxBytes` characters, walking
 * it only until it is (escapes and multi-byte characters are not counted: a
 * close lower bound, far cheaper than serializing).
 */
export function exceedsJsonSize(value: unknown, maxBytes: number): boolean {
  let size = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === "string") size += item.length + 2;
    else if (typeof item === "number") size += 8;
    else if (item === null || item === undefined || typeof item === "boolean") size += 5;
    else if (Array.isArray(item)) {
      size += item.length + 1;
      for (const member of item) pending.push(member);
    } else if (typeof item === "object") {
      for (const [key, member] of Object.entries(item)) {
        size += key.length + 4;
        pending.push(member);
      }
    }
    if (size > maxBytes) return true;
  }
  return false;
}

export function tooLargeResult(maxBytes: number): ExecutionResult {
  return {
    errors: [
      new GraphQLError(
        `the result is larger than ${maxBytes} bytes (GRAPHQL_MAX_RESPONSE_BYTES): ask for fewer items (first) or leave out large fields such as payload, input and output`,
        { extensions: { code: "RESPONSE_TOO_LARGE", limit: maxBytes } },
      ),
    ],
  };
}

/** Replaces every result over `maxBytes` (queries, mutations, each subscription event) with the error above. */
export function useResponseSizeLimit(maxBytes: number): Plugin {
  const limit = (payload: Parameters<typeof handleStreamOrSingleExecutionResult>[0]) =>
    handleStreamOrSingleExecutionResult(payload, ({ result, setResult }) => {
      if (exceedsJsonSize(result, maxBytes)) setResult(tooLargeResult(maxBytes));
    });
  return {
    onExecute: () => ({ onExecuteDone: limit }),
    onSubscribe: () => ({ onSubscribeResult: limit }),
  };
}
