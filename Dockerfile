# undersign: docker build -t undersign .
#            docker run -p 8000:8000 -v undersign-data:/data -e ORIGIN=https://declarations.example undersign
# Behind nginx on the host: see deploy/nginx/undersign.conf and the README's
# "Production" section (publish the port on 127.0.0.1 only, TRUST_PROXY=loopback
# does not apply across Docker's bridge: use the bridge's gateway address).
#
# Build stage: install, then keep production dependencies only (tsx is one:
# the server runs the TypeScript sources directly).  better-sqlite3 13 ships
# Node-API binaries for linux x64/arm64 (glibc and musl), so no compiler is needed.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund \
 && node -e 'new (require("better-sqlite3"))(":memory:").prepare("select 1").get()'

# Runtime stage: no compilers, runs as the image's unprivileged "node" user.
FROM node:24-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY migrations ./migrations
COPY declarations ./declarations
COPY pages ./pages
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# As `npm start`: the young generation capped (decision 0023), one HTTP
# process per core the container may use (set WEB_CONCURRENCY when the
# container's CPU quota is below the host's core count: Node sees the cores,
# not the quota).
CMD ["node", "--max-semi-space-size=8", "--import", "tsx", "src/main.ts"]
