/**
 * The GraphiQL page yoga answers a browser's GET /graphql with: a small HTML
 * page whose script, stylesheet and editor workers are this server's own
 * /graphiql/… files (graphiql-assets.ts), so nothing is fetched from another
 * host and GraphiQL works offline.
 */
import type { GraphiQLOptions } from "graphql-yoga";
import { graphiqlAssetUrl } from "./graphiql-assets.js";

/**
 * Monaco asks for a worker by label; these are the three GraphiQL's editors
 * use (any other gets the generic editor worker, as Monaco's own default does).
 */
const WORKER_URLS = {
  editorWorkerService: graphiqlAssetUrl("editor.worker.js"),
  json: graphiqlAssetUrl("json.worker.js"),
  graphql: graphiqlAssetUrl("graphql.worker.js"),
};

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/** JSON that can stand inside a <script> element: no "</script>" or "<!--" can end or change it. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** yoga's `renderGraphiQL`: the page for these options (title, default query, endpoint, …). */
export function renderGraphiQLPage(options: GraphiQLOptions): string {
  const title = options.title ?? "GraphiQL";
  const favicon = options.favicon ?? graphiqlAssetUrl("favicon.ico");
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(title)}</title>
    <link rel="icon" href="${escapeHtml(favicon)}" />
    <link rel="stylesheet" href="${graphiqlAssetUrl("graphiql.css")}" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>GraphiQL needs JavaScript.</noscript>
    <div id="root"></div>
    <script>
      const workerUrls = ${scriptJson(WORKER_URLS)};
      self.MonacoEnvironment = {
        globalAPI: false,
        getWorkerUrl: (_moduleId, label) => workerUrls[label] ?? workerUrls.editorWorkerService,
      };
    </script>
    <script src="${graphiqlAssetUrl("graphiql.js")}"></script>
    <script>
      YogaGraphiQL.renderYogaGraphiQL(document.getElementById("root"), ${scriptJson(options)});
    </script>
  </body>
</html>
`;
}
