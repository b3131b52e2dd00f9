/**
 * One hash over everything the console's build is made from (web/src,
 * index.html, the build config and the exact versions of its packages), so a
 * test can tell whether web/build/ was rebuilt after the last change.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const INPUTS = ["src", "index.html", "vite.config.ts", "source-hash.ts"];
const PACKAGES = [
  "react",
  "react-dom",
  "urql",
  "@urql/core",
  "@xyflow/react",
  "@dagrejs/dagre",
  "gql.tada",
  "graphql-ws",
  "vite",
  "@vitejs/plugin-react",
];

/** Types only, regenerated from schema.graphql by typecheck: no part of the bundle. */
const NOT_BUILT_FROM = new Set(["graphql-env.d.ts"]);

function files(dir: string): string[] {
  if (!statSync(dir).isDirectory()) return NOT_BUILT_FROM.has(path.basename(dir)) ? [] : [dir];
  return readdirSync(dir)
    .sort()
    .flatMap((name) => files(path.join(dir, name)));
}

export function sourceHash(webRoot: string): string {
  const hash = createHash("sha256");
  for (const input of INPUTS) {
    for (const file of files(path.join(webRoot, input))) {
      hash.update(path.relative(webRoot, file).split(path.sep).join("/"));
      hash.update("\0");
      hash.update(readFileSync(file, "utf8").replace(/\r\n/g, "\n"));
      hash.update("\0");
    }
  }
  const lock = JSON.parse(readFileSync(path.join(webRoot, "..", "package-lock.json"), "utf8")) as {
    packages: Record<string, { version?: string }>;
  };
  for (const name of PACKAGES) hash.update(`${name}@${lock.packages[`node_modules/${name}`]?.version ?? "?"}\n`);
  return hash.digest("hex");
}
