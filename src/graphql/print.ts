/**
 * `npm run schema`: prints the SDL to schema.graphql (sorted), the contract
 * clients code against. A test fails when the checked-in file is stale.
 */
import { writeFileSync } from "node:fs";
import { lexicographicSortSchema, printSchema } from "graphql";
import { schema } from "./schema.js";

export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const target = process.argv[2] ?? "schema.graphql";
  writeFileSync(target, printSortedSchema());
  console.log(`wrote ${target}`);
}
