/**
 * The typed `graphql()` tag: documents are checked against the server's
 * schema.graphql (through the introspection types gql.tada generates into
 * graphql-env.d.ts), so a schema change that breaks a query fails typecheck.
 */
import { initGraphQLTada } from "gql.tada";
import type { introspection } from "./graphql-env.d.ts";

export const graphql = initGraphQLTada<{
  introspection: introspection;
  scalars: { DateTime: string; JSON: unknown; ID: string };
}>();

export type { FragmentOf, ResultOf, VariablesOf } from "gql.tada";
export { readFragment } from "gql.tada";
