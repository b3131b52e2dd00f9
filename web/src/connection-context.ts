import type { Client as WsClient } from "graphql-ws";
import { createContext, useContext } from "react";

export const WsContext = createContext<WsClient | null>(null);

/** The graphql-ws client, for subscriptions that resume by seq on their own terms. */
export function useWs(): WsClient {
  const ws = useContext(WsContext);
  if (!ws) throw new Error("useWs outside the console's connection");
  return ws;
}
