/**
 * How many items one GraphQL list may return: the page sizes the schema
 * applies and the cost estimate (cost.ts) counts with.
 */
import { ValidationError } from "../errors.js";

/** Relay connections (Pothos's defaults): 20 items unless `first`/`last` says, at most 100. */
export const CONNECTION_PAGE = { default: 20, max: 100 } as const;

/**
 * Lists inside one object (an execution's steps and notifications, a
 * workflow's versions): at most 1,000 per page, the default of
 * MAX_STEPS_PER_EXECUTION, so an execution's steps fit one page unless the
 * operator raised that limit.
 */
export const LIST_PAGE = { max: 1_000 } as const;

export interface PageArgs {
  first?: number | null;
  offset?: number | null;
}

/** Prisma's take and skip for a page of a list, or a BAD_USER_INPUT naming the field and the argument. */
export function listPage(field: string, args: PageArgs, defaultSize: number): { take: number; skip: number } {
  const take = args.first ?? defaultSize;
  const skip = args.offset ?? 0;
  const problems = [];
  if (take < 1 || take > LIST_PAGE.max) {
    problems.push({ path: `${field}.first`, message: `must be 1 to ${LIST_PAGE.max}; got ${take}` });
  }
  if (skip < 0) problems.push({ path: `${field}.offset`, message: `must be 0 or more; got ${skip}` });
  if (problems.length > 0) throw new ValidationError(problems);
  return { take, skip };
}
