/**
 * Request bodies must say they are JSON. A page on another site may send a
 * form (application/x-www-form-urlencoded, multipart/form-data) or a no-cors
 * fetch (text/plain, or no Content-Type) anywhere without asking; any other
 * type makes the browser ask first (a CORS preflight), which CORS_ORIGINS
 * answers. So a body that must be JSON, and say so, cannot come from a
 * cross-site form or fetch that the API did not allow.
 */

/** What the refusals tell clients to send. */
export const JSON_MEDIA_TYPE = "application/json";

/**
 * application/json, or a JSON-based type (application/graphql+json,
 * application/merge-patch+json, …), with any parameters; media types are case-insensitive.
 */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const essence = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  return /^application\/([\w.-]+\+)?json$/.test(essence);
}

/** Why a body with this Content-Type is refused, naming the type to send. */
export function contentTypeRefusal(contentType: string | undefined, what: string): string {
  return contentType === undefined || contentType.trim() === ""
    ? `Content-Type is missing: send ${what} as ${JSON_MEDIA_TYPE}`
    : `Content-Type ${JSON.stringify(contentType.slice(0, 200))} is not accepted: send ${what} as ${JSON_MEDIA_TYPE}`;
}
