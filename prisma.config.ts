import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "prisma/config";

const root = path.dirname(fileURLToPath(import.meta.url));

// Prisma's CLI would download a native schema engine, which fails offline. It runs
// whatever PRISMA_SCHEMA_ENGINE_BINARY names instead; ours forwards every call to
// the WebAssembly build of the same engine (see prisma/engine/schema-engine.mjs).
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(root, "prisma/engine/schema-engine.mjs");

// Commands that need no database (generate) still load this file, so the URL
// is optional here; migrate commands fail with Prisma's own message without it.
const url = process.env.DATABASE_URL;
// `migrate diff --from-migrations` starts the engine without a datasource argument.
if (url) process.env.PRISMA_STANDIN_DATABASE_URL ??= url;

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations", seed: "tsx prisma/seed.ts" },
  datasource: url ? { url } : {},
});
