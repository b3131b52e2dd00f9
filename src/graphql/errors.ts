/**
 * The GraphQL edge of error handling: expected domain errors keep their message
 * and get an extension code (BAD_USER_INPUT with the list of problems,
 * NOT_FOUND); GraphQL's own errors (syntax, validation, limits) pass through;
 * anything else is logged with an id and masked for the client.
 */
import { randomUUID } from "node:crypto";
import { GraphQLError } from "graphql";
import { AppError, ValidationError } from "../errors.js";
import type { Logger } from "../logger.js";

const CODES: Record<AppError["code"], string> = {
  BAD_USER_INPUT: "BAD_USER_INPUT",
  NOT_FOUND: "NOT_FOUND",
  // A conflict (cancel a finished execution, a concurrent edit) is bad input from the client's side.
  CONFLICT: "BAD_USER_INPUT",
};

export function createErrorMasker(logger: Logger) {
  return (error: unknown): Error => {
    // Duck-typed: a second copy of graphql (ESM next to CommonJS) makes instanceof unreliable.
    const graphQLError = isGraphQLError(error) ? error : undefined;
    const original = graphQLError ? graphQLError.originalError : error;
    const location = { nodes: graphQLError?.nodes, path: graphQLError?.path };

    if (original instanceof AppError) {
      const extensions: Record<string, unknown> = { code: CODES[original.code] };
      if (original instanceof ValidationError) extensions.problems = original.problems;
      return new GraphQLError(original.message, { ...location, extensions });
    }
    // Syntax, validation, depth/cost limits and yoga's HTTP errors: meant for the client as they are.
    if (graphQLError && !original) return graphQLError;
    if (isGraphQLError(original)) return original;

    const errorId = randomUUID();
    logger.error({ err: original, errorId, path: graphQLError?.path?.join(".") }, "unexpected GraphQL error");
    return new GraphQLError("Unexpected error.", {
      ...location,
      extensions: { code: "INTERNAL_SERVER_ERROR", errorId },
    });
  };
}

function isGraphQLError(error: unknown): error is GraphQLError {
  return error instanceof Error && "extensions" in error && "path" in error && "locations" in error;
}
