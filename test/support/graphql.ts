/** GraphQL over yoga.fetch: the whole HTTP pipeline without a port. */
import type { Yoga } from "../../src/graphql/yoga.js";

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
}

// biome-ignore lint/suspicious/noExplicitAny: responses are shaped by each query and checked by assertions
export type AnyData = Record<string, any>;

export async function gql<T = AnyData>(
  yoga: Yoga,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLResponse<T>> {
  const response = await yoga.fetch("http://test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<T>, "status">;
  return { status: response.status, ...body };
}
