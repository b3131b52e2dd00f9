/**
 * Builds the console into web/build/ (committed: the server serves it at `/`
 * with no build step at install or start; see web/README.md). Assets go under
 * /console/ so they cannot meet the server's own paths. The build also writes
 * source-hash.txt, the hash of everything it was built from, which a test
 * compares with the sources to catch a build that was not redone.
 */
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";
import { sourceHash } from "./source-hash.ts";

const root = fileURLToPath(new URL(".", import.meta.url));

function writeSourceHash(): Plugin {
  return {
    name: "console-source-hash",
    apply: "build",
    generateBundle() {
      this.emitFile({ type: "asset", fileName: "source-hash.txt", source: `${sourceHash(root)}\n` });
    },
  };
}

export default defineConfig({
  root,
  base: "/",
  plugins: [react(), writeSourceHash()],
  build: {
    outDir: "build",
    assetsDir: "console",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: { "/graphql": { target: "http://localhost:4000", ws: true } },
  },
});
