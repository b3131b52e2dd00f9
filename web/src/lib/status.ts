/**
 * Colours for execution and step statuses (the badges, the graph's borders, the timeline's bars)
 * and for a schedule firing's (STARTED, SKIPPED, BUFFERED, MISSED).
 * Each carries white badge text at a contrast of at least 4.5:1 (WCAG AA, checked by axe in e2e).
 */
export const STATUS_COLORS: Record<string, string> = {
  PENDING: "#5f6670",
  RUNNING: "#2f6fde",
  WAITING: "#8a5a00",
  SUCCEEDED: "#23863a",
  FAILED: "#cf222e",
  SKIPPED: "#687080",
  CANCELLED: "#6e5494",
  STARTED: "#23863a",
  BUFFERED: "#8a5a00",
  MISSED: "#cf222e",
};

export function statusColor(status: string | undefined): string {
  return (status && STATUS_COLORS[status]) || "#d0d4da";
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** One formatter for every time shown (toLocaleString builds a new one per call: slow in a 300-row timeline). */
const TIME_FORMAT = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "numeric",
  day: "numeric",
  hour: "numeric",
  minute: "2-digit",
  second: "2-digit",
});

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : TIME_FORMAT.format(date);
}
