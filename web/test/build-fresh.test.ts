/**
 * web/build/ is committed (the server serves it with no build step): it must
 * be the build of the sources beside it. Fails after a change to web/src (or
 * the console's packages) until `npm run build:web` is run and its output committed.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { sourceHash } from "../source-hash.ts";

const webRoot = path.resolve(fileURLToPath(new URL(".", import.meta.url)), "..");

describe("the committed console build", () => {
  it("was built from the sources as they are (else: npm run build:web)", () => {
    const built = readFileSync(path.join(webRoot, "build", "source-hash.txt"), "utf8").trim();
    expect(built, "web/build/ is stale: run `npm run build:web` and commit web/build").toBe(sourceHash(webRoot));
  });

  it("serves its assets from /console/ and nothing from another host", () => {
    const html = readFileSync(path.join(webRoot, "build", "index.html"), "utf8");
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? "");
    expect(urls.filter((url) => url !== "data:,").every((url) => url.startsWith("/console/"))).toBe(true);
  });
});
