/**
 * Domain errors. Expected failures are typed here and mapped once at each edge
 * (GraphQL extension codes, REST status + detail); anything else is unexpected,
 * logged with ids and masked for clients.
 */

export interface Problem {
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly code: "BAD_USER_INPUT" | "NOT_FOUND" | "CONFLICT",
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends AppError {
  constructor(
    readonly entity: "Workflow" | "Execution" | "Event" | "Step" | "Replay" | "Schedule",
    readonly id: string,
  ) {
    super("NOT_FOUND", `${entity} not found`);
  }
}

export class ValidationError extends AppError {
  constructor(
    readonly problems: Problem[],
    message = problems.map((p) => `${p.path}: ${p.message}`).join("; "),
  ) {
    super("BAD_USER_INPUT", message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super("CONFLICT", message);
  }
}

/** Thrown by step services (e.g. a refused http_call target): fails the step without retrying. */
export class NonRetryableStepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NonRetryableStepError";
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
