/**
 * The console's shell: connects (asking for an API key when the server wants
 * one), then shows the page the URL's hash names.
 */
import { useCallback, useEffect, useMemo, useState } from "react";
import { Provider } from "urql";
import { ApiKeyPrompt } from "./auth/ApiKeyPrompt.tsx";
import { loadApiKey, saveApiKey } from "./auth/api-key.ts";
import { createConnection } from "./client.ts";
import { ErrorMessage, Loading } from "./components/States.tsx";
import { WsContext } from "./connection-context.ts";
import { graphql } from "./graphql.ts";
import { href, useRoute } from "./lib/router.ts";
import { EditorPage } from "./pages/editor/EditorPage.tsx";
import { SendEventPage } from "./pages/events/SendEventPage.tsx";
import { ExecutionPage } from "./pages/execution/ExecutionPage.tsx";
import { ExecutionsPage } from "./pages/executions/ExecutionsPage.tsx";
import { NotificationFeedProvider, useNotificationFeed } from "./pages/notifications/feed.tsx";
import { NotificationsPage } from "./pages/notifications/NotificationsPage.tsx";
import { WorkflowsPage } from "./pages/workflows/WorkflowsPage.tsx";

type AuthState = "checking" | "ok" | "needs-key" | "refused" | "unreachable";

const Probe = graphql(`
  query Probe {
    nodeTypes {
      type
    }
  }
`);

export function App() {
  const [apiKey, setApiKey] = useState(loadApiKey);
  const [auth, setAuth] = useState<AuthState>("checking");
  const [problem, setProblem] = useState<string>();
  // A new attempt reconnects even when the same key is typed again.
  const [attempt, setAttempt] = useState(0);

  const onUnauthorized = useCallback(() => {
    setAuth(loadApiKey() ? "refused" : "needs-key");
    saveApiKey(null);
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: attempt forces a new connection for a key typed again.
  const connection = useMemo(() => createConnection(apiKey, onUnauthorized), [apiKey, onUnauthorized, attempt]);
  useEffect(() => () => connection.dispose(), [connection]);

  useEffect(() => {
    let cancelled = false;
    setAuth("checking");
    connection.client
      .query(Probe, {}, { requestPolicy: "network-only" })
      .toPromise()
      .then((result) => {
        if (cancelled) return;
        if (result.error?.response?.status === 401) {
          setAuth(apiKey ? "refused" : "needs-key");
          if (apiKey) saveApiKey(null);
        } else if (result.error?.networkError) {
          setProblem(result.error.message);
          setAuth("unreachable");
        } else setAuth("ok");
      });
    return () => {
      cancelled = true;
    };
  }, [connection, apiKey]);

  if (auth === "checking") return <Loading what="the console" />;
  if (auth === "unreachable") return <ErrorMessage error={`Cannot reach the server. ${problem ?? ""}`} />;
  if (auth === "needs-key" || auth === "refused") {
    return (
      <ApiKeyPrompt
        refused={auth === "refused"}
        onSubmit={(key) => {
          saveApiKey(key);
          setApiKey(key);
          setAttempt((n) => n + 1);
        }}
      />
    );
  }
  return (
    <Provider value={connection.client}>
      <WsContext.Provider value={connection.ws}>
        <NotificationFeedProvider>
          <Shell
            signedIn={apiKey !== null}
            onSignOut={() => {
              saveApiKey(null);
              setApiKey(null);
            }}
          />
        </NotificationFeedProvider>
      </WsContext.Provider>
    </Provider>
  );
}

const NAV = [
  { path: "workflows", label: "Workflows" },
  { path: "executions", label: "Executions" },
  { path: "events", label: "Send event" },
  { path: "notifications", label: "Notifications" },
];

function Shell({ signedIn, onSignOut }: { signedIn: boolean; onSignOut(): void }) {
  const route = useRoute();
  const feed = useNotificationFeed();
  const [section = "workflows", id, sub] = route.path;
  return (
    <>
      <header className="top">
        <a className="brand" href={href("workflows")}>
          Workflow console
        </a>
        <nav aria-label="Main">
          {NAV.map((item) => (
            <a key={item.path} href={href(item.path)} aria-current={section === item.path ? "page" : undefined}>
              {item.label}
              {item.path === "notifications" && feed.unseen > 0 ? (
                <span className="count" role="status" aria-label={`${feed.unseen} new`}>
                  {feed.unseen}
                </span>
              ) : null}
            </a>
          ))}
        </nav>
        <span className="links">
          <a href="/graphql">GraphiQL</a>
          <a href="/docs">REST docs</a>
          {signedIn ? (
            <button type="button" className="link" onClick={onSignOut}>
              Forget key
            </button>
          ) : null}
        </span>
      </header>
      <main className="page">
        <Page section={section} id={id} sub={sub} params={route.params} />
      </main>
    </>
  );
}

function Page({ section, id, sub, params }: { section: string; id?: string; sub?: string; params: URLSearchParams }) {
  switch (section) {
    case "workflows":
      if (id === "new") return <EditorPage key="new" />;
      if (id && sub === "edit") return <EditorPage key={id} workflowId={id} />;
      return <WorkflowsPage />;
    case "executions":
      if (id) return <ExecutionPage key={id} id={id} />;
      return (
        <ExecutionsPage workflowId={params.get("workflow") ?? undefined} status={params.get("status") ?? undefined} />
      );
    case "events":
      return <SendEventPage />;
    case "notifications":
      return <NotificationsPage />;
    default:
      return <ErrorMessage error={`No page here: #/${section}`} />;
  }
}
