/**
 * The live notification feed (notificationSent), kept for as long as the
 * console is open, so the page and the header's count see the same list.
 */
import { createContext, useContext, useMemo, useState } from "react";
import { useSubscription } from "urql";
import { graphql } from "../../graphql.ts";

const NotificationSent = graphql(`
  subscription NotificationSent {
    notificationSent {
      id
      toRole
      message
      createdAt
      executionId
      step { nodeId }
      execution { workflow { name } }
    }
  }
`);

export interface FeedItem {
  id: string;
  toRole: string;
  message: string;
  createdAt: string;
  executionId: string;
  nodeId: string;
  workflowName: string;
}

const MAX_ITEMS = 500;

interface Feed {
  items: FeedItem[];
  unseen: number;
  markSeen(): void;
  connected: boolean;
}

const FeedContext = createContext<Feed>({ items: [], unseen: 0, markSeen: () => {}, connected: false });

export function NotificationFeedProvider({ children }: { children: React.ReactNode }) {
  const [seen, setSeen] = useState(0);
  const [result] = useSubscription({ query: NotificationSent }, (items: FeedItem[] | undefined, data) => {
    const list = items ?? [];
    const n = data.notificationSent;
    if (list.some((item) => item.id === n.id)) return list;
    const item: FeedItem = {
      id: n.id,
      toRole: n.toRole,
      message: n.message,
      createdAt: n.createdAt,
      executionId: n.executionId,
      nodeId: n.step.nodeId,
      workflowName: n.execution.workflow.name,
    };
    return [item, ...list].slice(0, MAX_ITEMS);
  });
  const items = result.data ?? [];
  const feed = useMemo<Feed>(
    () => ({
      items,
      unseen: Math.max(0, items.length - seen),
      markSeen: () => setSeen(items.length),
      connected: !result.error,
    }),
    [items, seen, result.error],
  );
  return <FeedContext.Provider value={feed}>{children}</FeedContext.Provider>;
}

export function useNotificationFeed(): Feed {
  return useContext(FeedContext);
}
