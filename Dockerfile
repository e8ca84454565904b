# Safety Training API: build the JavaScript once, run it with plain `node` as PID 1 (so SIGTERM reaches the
# server and it drains), as a non-root user. Migrations can run from the same image (see README, Deploy).
#   docker build -t safety-training-api .
#   docker run -p 4000:4000 -e DATABASE_URL=postgresql://… -e JWT_SECRET=… safety-training-api

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Dependencies first (their own layer while the lock file is unchanged). Install scripts are skipped: the one the
# project needs, `npm run generate`, runs below with the sources present; the others only download engines
# the API does not use.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run generate && npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=4000
# glibc raises its mmap threshold (up to 32 MB) each time a large block is freed, after which V8's worker threads
# take large blocks from their malloc arenas and those arenas never give the memory back: about 70 MB resident in
# the soak (BENCHMARKS.md). A fixed threshold (glibc's own default, 128 KiB) keeps large blocks in mmap, returned
# on free. bench/soak reads this line, so the soak measures what the image runs.
ENV GLIBC_TUNABLES=glibc.malloc.mmap_threshold=131072
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Writable by the app only for an embedded database (PGLITE_DATA_DIR, default .data/pglite); production
# normally sets DATABASE_URL instead.
RUN mkdir -p .data && chown node:node .data
USER node
EXPOSE 4000
# /healthz: the process is up. Orchestrators should also probe /readyz (the database answers).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# V8 lets the old generation grow to up to four times what survived the last full collection before the next one;
# at a few hundred requests a second that is well over 100 MB of garbage held resident (the retained heap is about
# 50 MB). 25 % keeps it near what is live, for about the same requests served (BENCHMARKS.md, soak). bench/soak
# reads this line's node flags, as it reads GLIBC_TUNABLES.
CMD ["node", "--heap-growing-percent=25", "dist/src/main.js"]
