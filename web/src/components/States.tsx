/** Loading, empty and error states, the same on every page. */
import type { CombinedError } from "urql";

export function Loading({ what }: { what: string }) {
  return (
    <p className="state loading" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <p className="state empty">{children}</p>;
}

export function ErrorMessage({ error }: { error: CombinedError | Error | string }) {
  const message = typeof error === "string" ? error : describeError(error);
  return (
    <p className="state error" role="alert">
      {message}
    </p>
  );
}

/** A GraphQL error's message and, for bad input, every problem it names. */
export function describeError(error: CombinedError | Error): string {
  if ("graphQLErrors" in error && error.graphQLErrors.length > 0) {
    return error.graphQLErrors
      .map((e) => {
        const problems = (e.extensions?.problems as { path: string; message: string }[] | undefined) ?? [];
        return problems.length > 0 ? problems.map((p) => `${p.path}: ${p.message}`).join("; ") : e.message;
      })
      .join("; ");
  }
  if ("networkError" in error && error.networkError) return `Cannot reach the server: ${error.networkError.message}`;
  return error.message;
}
