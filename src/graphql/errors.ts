/**
 * The GraphQL edge of error handling: expected domain errors keep their message
 * and get an extension code (BAD_USER_INPUT with the list of problems,
 * NOT_FOUND); GraphQL's own errors (syntax, validation, limits) pass through;
 * anything else is logged at error level with an id and masked for the client.
 * Expected errors are the client's business, not the operator's: they are
 * never logged above debug.
 */
import { randomUUID } from "node:crypto";
import { GraphQLError } from "graphql";
import { QueueOverflowError } from "../bus/async-queue.js";
import { isDatabaseUnavailable } from "../db/errors.js";
import { AppError, ValidationError } from "../errors.js";
import { isUnstorableTextError, UNSTORABLE_TEXT_MESSAGE } from "../http/json-input.js";
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
    // A live subscriber that stopped reading: its stream was ended, and it may subscribe again.
    if (original instanceof QueueOverflowError) {
      return new GraphQLError(original.message, { ...location, extensions: { code: "SUBSCRIBER_TOO_SLOW" } });
    }
    if (isUnstorableTextError(original)) {
      return new GraphQLError(UNSTORABLE_TEXT_MESSAGE, { ...location, extensions: { code: "BAD_USER_INPUT" } });
    }
    // PostgreSQL unreachable (restarting): temporary, so SERVICE_UNAVAILABLE and, over HTTP, 503 with
    // Retry-After rather than an INTERNAL error (found by `npm run chaos`); retrying sendEvent with
    // its idempotencyKey is safe.
    if (isDatabaseUnavailable(original)) {
      logger.warn({ err: original, path: graphQLError?.path?.join(".") }, "database unavailable");
      return new GraphQLError("Service temporarily unavailable: the database cannot be reached. Retry shortly.", {
        ...location,
        extensions: { code: "SERVICE_UNAVAILABLE", http: { status: 503, headers: { "Retry-After": "1" } } },
      });
    }
    // GraphQL's own errors (syntax, validation, limits, variables that do not coerce, yoga's HTTP
    // errors) and errors libraries throw as GraphQLErrors (an invalid cursor): meant for the client.
    if (graphQLError && (!original || isGraphQLError(original))) return withCode(graphQLError);

    const errorId = randomUUID();
    logger.error({ err: original, errorId, path: graphQLError?.path?.join(".") }, "unexpected GraphQL error");
    return new GraphQLError("Unexpected error.", {
      ...location,
      extensions: { code: "INTERNAL_SERVER_ERROR", errorId },
    });
  };
}

/**
 * Every error a client gets has a code. Errors without one are about the request:
 * a variable that does not coerce (`ID cannot represent value`), a missing
 * variable, an invalid cursor or page size. Errors raised while executing with no
 * cause (a null for a non-null field) are the server's, and keep no code.
 */
function withCode(error: GraphQLError): GraphQLError {
  if (error.extensions.code !== undefined) return error;
  const original = error.originalError as GraphQLError | undefined;
  if (!original && error.path !== undefined) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...original?.extensions, ...error.extensions, code: original?.extensions?.code ?? "BAD_USER_INPUT" },
  });
}

/**
 * yoga's logger, for the options' `logging`. yoga logs every error the masker
 * replaced, at error level: an expected error (a BAD_USER_INPUT) was then
 * logged as if the server had failed. The masker has already logged what
 * deserves it (unexpected errors at error with their errorId, an unreachable
 * database as a warning), so yoga's line about a masked error is debug.
 */
export function yogaLogging(logger: Logger) {
  return {
    debug: (...args: unknown[]) => logger.debug({ args }, "yoga"),
    info: (...args: unknown[]) => logger.info({ args }, "yoga"),
    warn: (...args: unknown[]) => logger.warn({ args }, "yoga"),
    error: (...args: unknown[]) => {
      if (args.length === 1 && args[0] instanceof Error)
        logger.debug({ err: args[0] }, "yoga: error masked for the client");
      else logger.error({ args }, "yoga");
    },
  };
}

/**
 * graphql-armor rejects a query (depth, cost, aliases, directives, tokens)
 * without a code, and with a message that starts "Syntax Error:" though the
 * query is well formed. The rejection gets a code and a message that says
 * which limit it passed and the setting that raises it.
 */
export function tagArmorRejection(context: unknown, error: GraphQLError): void {
  (error.extensions as Record<string, unknown>).code ??= "GRAPHQL_VALIDATION_FAILED";
  clarifyArmorRejection(context, error);
}

/** For the token limit, which rejects while parsing: yoga then codes it GRAPHQL_PARSE_FAILED itself. */
export function clarifyArmorRejection(_context: unknown, error: GraphQLError): void {
  error.message = armorMessage(error.message);
}

const ARMOR_LIMITS: readonly { pattern: RegExp; message(limit: string, found?: string): string }[] = [
  {
    pattern: /^Query Cost limit of (\d+) exceeded, found (\d+)\.$/,
    message: (limit, found) => `query cost ${found} exceeds the limit of ${limit} (GRAPHQL_MAX_COST)`,
  },
  {
    pattern: /^Query depth limit of (\d+) exceeded, found (\d+)\.$/,
    message: (limit, found) => `query depth ${found} exceeds the limit of ${limit} (GRAPHQL_MAX_DEPTH)`,
  },
  {
    pattern: /^Aliases limit of (\d+) exceeded, found (\d+)\.$/,
    message: (limit, found) => `query has ${found} aliases, more than the limit of ${limit} (GRAPHQL_MAX_ALIASES)`,
  },
  {
    pattern: /^Directives limit of (\d+) exceeded, found (\d+)\.$/,
    message: (limit, found) => `query has ${found} directives, more than the limit of ${limit}`,
  },
  {
    pattern: /^Token limit of (\d+) exceeded\.$/,
    message: (limit) => `query has more than ${limit} tokens, the limit (GRAPHQL_MAX_TOKENS)`,
  },
];

function armorMessage(message: string): string {
  const bare = message.replace(/^Syntax Error:\s*/, "");
  for (const { pattern, message: clear } of ARMOR_LIMITS) {
    const match = pattern.exec(bare);
    if (match) return clear(match[1] ?? "", match[2]);
  }
  return bare;
}

function isGraphQLError(error: unknown): error is GraphQLError {
  return error instanceof Error && "extensions" in error && "path" in error && "locations" in error;
}
