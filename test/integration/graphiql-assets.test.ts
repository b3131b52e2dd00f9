/**
 * GraphiQL's page and files over HTTP (issue 17, point 6; the browser test is
 * graphiql-offline.test.ts): the page names only this server's files, each
 * answers with its content type, for good in caches, gzipped when asked, and
 * with API_KEYS set the page and its files need the key like every other route.
 */
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.js";
import { useTestDatabase } from "../support/database.js";
import { startTestEngine, type TestEngine } from "../support/engine.js";

const database = useTestDatabase();
let engine: TestEngine;
let open: ReturnType<typeof createApp>;
let keyed: ReturnType<typeof createApp>;

beforeAll(async () => {
  engine = await startTestEngine(database.url, { worker: false });
  open = createApp(engine);
  keyed = createApp({ ...engine, config: { ...engine.config, API_KEYS: ["graphiql-key"] } });
});

afterAll(async () => {
  await open?.yoga.dispose();
  await keyed?.yoga.dispose();
  await engine?.stop();
});

const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

async function graphiqlPage(app: ReturnType<typeof createApp>, headers: Record<string, string> = {}) {
  return app.app.request("/graphql", { headers: { accept: BROWSER_ACCEPT, ...headers } });
}

/** Every URL the page loads: script and stylesheet elements, the icon, and the editor workers it names. */
function pageUrls(html: string): string[] {
  // Quoted or not (yoga's own page leaves them bare).
  const attributes = [...html.matchAll(/\b(?:src|href)=(?:"([^"]*)"|([^\s>"]+))/g)].map((m) => m[1] ?? m[2] ?? "");
  const workers = [...html.matchAll(/"([^"]*\.worker\.js)"/g)].map((m) => m[1] ?? "");
  return [...attributes, ...workers];
}

describe("GraphiQL's page", () => {
  it("loads nothing from another host: every file it names is this server's", async () => {
    const page = await graphiqlPage(open);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    expect(html).toContain("<title>Workflow engine</title>");
    expect(html).toContain("query Workflows"); // the default query
    const urls = pageUrls(html);
    for (const url of urls) expect(url, "a path on this server").toMatch(/^\/[^/]/);
    // Script, stylesheet, icon and the three editor workers.
    expect(urls.length).toBeGreaterThanOrEqual(6);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it("serves each file with its content type, cacheable for good, gzipped when asked", async () => {
    const urls = pageUrls(await (await graphiqlPage(open)).text());
    const expected: Record<string, string> = {
      js: "text/javascript; charset=utf-8",
      css: "text/css; charset=utf-8",
      ico: "image/x-icon",
    };
    for (const url of urls) {
      const plain = await open.app.request(url);
      expect(plain.status, url).toBe(200);
      expect(plain.headers.get("content-type"), url).toBe(expected[url.split(".").at(-1) ?? ""]);
      expect(plain.headers.get("cache-control"), url).toBe("public, max-age=31536000, immutable");
      expect(plain.headers.get("x-content-type-options"), url).toBe("nosniff");
      expect(plain.headers.get("content-encoding"), url).toBeNull();
      const body = Buffer.from(await plain.arrayBuffer());
      expect(body.byteLength, url).toBeGreaterThan(1000);

      const gzipped = await open.app.request(url, { headers: { "accept-encoding": "gzip, deflate, br" } });
      expect(gzipped.headers.get("content-encoding"), url).toBe("gzip");
      expect(gzipped.headers.get("vary"), url).toContain("accept-encoding");
      const compressed = Buffer.from(await gzipped.arrayBuffer());
      expect(compressed.byteLength, url).toBeLessThan(body.byteLength);
      expect(gunzipSync(compressed).equals(body), url).toBe(true);
    }
    // The stylesheet carries its own fonts (no font requests), the script is GraphiQL's.
    const css = await (await open.app.request(urls.find((u) => u.endsWith(".css")) ?? "")).text();
    expect(css).toContain("font/woff2;base64");
    const script = await (await open.app.request(urls.find((u) => u.endsWith("graphiql.js")) ?? "")).text();
    expect(script).toContain("renderYogaGraphiQL");
  });

  it("answers 404 for files it does not have, and for another version's", async () => {
    const [script] = pageUrls(await (await graphiqlPage(open)).text()).filter((u) => u.endsWith("graphiql.js"));
    expect(script).toBeDefined();
    for (const url of [
      (script ?? "").replace(/\/[^/]+\/graphiql\.js$/, "/0.0.1/graphiql.js"),
      (script ?? "").replace(/graphiql\.js$/, "package.json"),
      (script ?? "").replace(/graphiql\.js$/, "..%2F..%2Fpackage.json"),
      (script ?? "").replace(/graphiql\.js$/, "toString"),
    ]) {
      const response = await open.app.request(url);
      expect(response.status, url).toBe(404);
      expect(await response.json()).toEqual({ detail: "Not Found" });
    }
  });

  it("with API_KEYS set, needs the key for the page and its files, like every other route", async () => {
    const denied = await graphiqlPage(keyed);
    expect(denied.status).toBe(401);
    expect(denied.headers.get("www-authenticate")).toContain("Bearer");
    const authorization = { authorization: "Bearer graphiql-key" };
    const page = await graphiqlPage(keyed, authorization);
    expect(page.status).toBe(200);
    for (const url of pageUrls(await page.text())) {
      const refused = await keyed.app.request(url);
      expect(refused.status, url).toBe(401);
      expect(await refused.json()).toEqual({ detail: "Not authenticated: send Authorization: Bearer <API key>" });
      expect((await keyed.app.request(url, { headers: authorization })).status, url).toBe(200);
    }
  });
});
