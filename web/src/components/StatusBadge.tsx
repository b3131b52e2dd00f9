import { statusColor } from "../lib/status.ts";

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className="status-pill" style={{ background: statusColor(status) }} data-status={status}>
      {status}
    </span>
  );
}
