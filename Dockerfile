# syntax=docker/dockerfile:1
# Multi-stage: `build` compiles TypeScript and also runs migrations (it has the
# Prisma CLI); `runtime` has production dependencies only and runs as non-root.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json prisma.config.ts ./
COPY prisma ./prisma
# postinstall generates the Prisma client (offline: see prisma/engine/).
RUN npm ci --no-audit --no-fund
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim AS runtime
# HOST: a container is reached through its published ports, so it listens on every address
# (embedded mode alone would bind 127.0.0.1, which nothing outside the container reaches).
ENV NODE_ENV=production PORT=4000 HOST=0.0.0.0 LOG_FORMAT=json
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The web console, prebuilt and committed (dist/http finds it two levels up, at web/build).
COPY web/build ./web/build
# Embedded mode applies these migrations itself; production mode uses the migrate service.
COPY prisma/migrations ./prisma/migrations
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/server.js"]
