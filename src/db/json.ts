import { Prisma } from "../generated/prisma/client.js";

/**
 * A value for a nullable Json column: Prisma wants JsonNull for a JSON null and
 * leaves the column untouched for undefined.
 */
export function jsonColumn(value: unknown): Prisma.InputJsonValue | typeof Prisma.JsonNull | undefined {
  if (value === undefined) return undefined;
  if (value === null) return Prisma.JsonNull;
  return value as Prisma.InputJsonValue;
}
