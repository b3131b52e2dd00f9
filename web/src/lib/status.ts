/** Colours and words for execution and step statuses (used by the list badges and the graph). */
export const STATUS_COLORS: Record<string, string> = {
  PENDING: "#8a8f98",
  RUNNING: "#2f6fde",
  WAITING: "#b7791f",
  SUCCEEDED: "#23863a",
  FAILED: "#cf222e",
  SKIPPED: "#b0b4ba",
  CANCELLED: "#6e5494",
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

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
