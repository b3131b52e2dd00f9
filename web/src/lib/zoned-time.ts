/**
 * Times in a named zone: a schedule's instants are shown in the browser's
 * zone and on the schedule's own wall clock (its `timezone`), each with the
 * zone's short name so the two cannot be mistaken for one another.
 */

/** The browser's own zone (IANA name). */
export const BROWSER_ZONE = new Intl.DateTimeFormat().resolvedOptions().timeZone;

const formats = new Map<string, Intl.DateTimeFormat | null>();

function formatFor(zone: string): Intl.DateTimeFormat | null {
  let format = formats.get(zone);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat(undefined, {
        timeZone: zone,
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "2-digit",
        second: "2-digit",
        timeZoneName: "short",
      });
    } catch {
      // A zone this browser does not know: the instant is shown in UTC instead.
      format = null;
    }
    formats.set(zone, format);
  }
  return format;
}

/** An instant (ISO 8601) as a date and time in `zone`, with the zone's short name ("…, 09:00:00 CET"). */
export function formatInZone(iso: string, zone: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const format = formatFor(zone) ?? formatFor("UTC");
  return format ? format.format(date) : date.toISOString();
}

/** A wall-clock time with its offset (`2026-03-29T03:00:00+02:00`) as `2026-03-29 03:00:00 +02:00`. */
export function formatLocalTime(localTime: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(localTime);
  if (!match) return localTime;
  const offset = match[3] === "Z" ? "+00:00" : match[3];
  return `${match[1]} ${match[2]}${offset ? ` ${offset}` : ""}`;
}
