/**
 * What a refused mutation says about its input, as problems with a path inside
 * that input, so a form can show each beside the field it names:
 *
 * - the engine's own checks: BAD_USER_INPUT with `extensions.problems`
 *   (`[{path: "schedules[0].cron", message: "Invalid value for hour: 25"}]`);
 * - GraphQL's refusal of a variable before the resolver runs (a value of the
 *   wrong type, an unparseable DateTime, a required field left out):
 *   `Variable "$input" got invalid value "x" at "input.runAt[0].at"; DateTime
 *   cannot represent …`, read as a problem at `runAt[0].at`.
 */
import type { CombinedError } from "urql";
import type { Problem } from "./schema-form.ts";

const VARIABLE_REFUSED = /^Variable "\$(\w+)" got invalid value .*? at "([^"]+)"; ([\s\S]*)$/;

export function inputProblems(error: CombinedError | undefined, variable = "input"): Problem[] {
  if (!error) return [];
  const problems: Problem[] = [];
  for (const e of error.graphQLErrors) {
    const listed = e.extensions?.problems;
    if (Array.isArray(listed)) {
      for (const p of listed as unknown[]) {
        if (isProblem(p)) problems.push({ path: p.path, message: p.message });
      }
      continue;
    }
    const refused = VARIABLE_REFUSED.exec(e.message);
    if (refused?.[1] === variable && refused[2] && refused[3]) {
      const path = refused[2].startsWith(`${variable}.`) ? refused[2].slice(variable.length + 1) : refused[2];
      problems.push({ path, message: refused[3] });
    }
  }
  return problems;
}

function isProblem(value: unknown): value is Problem {
  return (
    typeof value === "object" &&
    value !== null &&
    "path" in value &&
    typeof value.path === "string" &&
    "message" in value &&
    typeof value.message === "string"
  );
}
