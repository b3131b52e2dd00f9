import { useEffect, useId, useState } from "react";
import { Empty } from "../../components/States.tsx";
import { href } from "../../lib/router.ts";
import { formatTime } from "../../lib/status.ts";
import { useNotificationFeed } from "./feed.tsx";

export function NotificationsPage() {
  const feed = useNotificationFeed();
  const [role, setRole] = useState("");
  const roleId = useId();
  const { markSeen } = feed;
  useEffect(() => markSeen(), [markSeen]);
  const items = role ? feed.items.filter((item) => item.toRole === role) : feed.items;
  const roles = [...new Set(feed.items.map((item) => item.toRole))].sort();
  return (
    <section aria-labelledby="notifications-title">
      <h1 id="notifications-title">Notifications</h1>
      <p className="subtle">What send_notification steps deliver, live, since this console was opened.</p>
      <div className="filters">
        <label htmlFor={roleId}>Role</label>
        <select id={roleId} value={role} onChange={(e) => setRole(e.target.value)}>
          <option value="">All roles</option>
          {roles.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </div>
      {items.length === 0 ? (
        <Empty>No notifications yet. Send an event that starts a workflow with a send_notification node.</Empty>
      ) : (
        <ul className="feed" aria-live="polite">
          {items.map((item) => (
            <li key={item.id} className="feed-item">
              <span className="role">{item.toRole}</span>
              <span className="message">{item.message}</span>
              <span className="meta">
                {item.workflowName} · <a href={href(`executions/${item.executionId}`)}>{item.nodeId}</a> ·{" "}
                {formatTime(item.createdAt)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
