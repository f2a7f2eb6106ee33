# syntax=docker/dockerfile:1
#
# smpp-proxy container image.
#
#   docker build -t smpp-proxy .
#   docker run --rm -p 2775:2775 -p 9090:9090 \
#     -v "$PWD/deploy/config/proxy.yaml:/etc/smpp-proxy/proxy.yaml:ro" \
#     -v smpp-proxy-data:/var/lib/smpp-proxy smpp-proxy
#
# Ports: 2775 SMPP, 3550 SMPP over TLS (when server.tls is configured), 9090 admin HTTP
# (/metrics, /healthz, /readyz, /status, /reload). The configuration is mounted, never baked in:
# it holds credentials.

# ---- build: all dependencies, TypeScript compiled to dist/ ---------------------------------------
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json

# ---- runtime: production dependencies and the compiled code only ---------------------------------
FROM node:20-slim AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY package.json package-lock.json ./
# lmdb and msgpackr ship prebuilt native binaries for linux x64/arm64 (glibc), so no compiler is needed.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist

# A fixed numeric uid, so Kubernetes' runAsNonRoot can verify it and volume ownership is predictable.
RUN groupadd --system --gid 10001 smpp \
 && useradd --system --uid 10001 --gid smpp --home-dir /var/lib/smpp-proxy --no-create-home --shell /usr/sbin/nologin smpp \
 && mkdir -p /etc/smpp-proxy /var/lib/smpp-proxy \
 && chown smpp:smpp /var/lib/smpp-proxy
USER 10001:10001

# The embedded store: id map, receipt/MO queues and the audit outbox. It must outlive the container.
VOLUME ["/var/lib/smpp-proxy"]
EXPOSE 2775 3550 9090

# Liveness only (process up, admin listener answering); /readyz is for load balancers. No curl in
# the slim image: Node's own fetch does the request.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9090/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# SIGTERM (docker stop) triggers the graceful shutdown; give it more than server.shutdown_timeout
# (docker stop -t / stop_grace_period).
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["start", "--config", "/etc/smpp-proxy/proxy.yaml"]
