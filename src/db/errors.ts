import { Prisma } from "../generated/prisma/client.js";

/** A unique constraint refused the write (Prisma P2002): someone else wrote that row first. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";
}
