# syntax=docker/dockerfile:1
# The drainwatch image: drainwatch-sidecar (the default command) and drainwatch-shim on PATH,
# plus the self-contained shim for worker images without Node (drainwatch-install-shim).
# Build: docker build -t drainwatch:0.1.0 .   (or: npm run image:build, with podman)
# The base is pinned by tag; pin it by digest too in production (docs/image.md).

# ---- build: compile with dev dependencies, bundle the SEA shim, pack the package ----
FROM node:20-bookworm-slim AS build
WORKDIR /src
# binutils for `strip`, which makes the self-contained shim 12 MB smaller.
RUN apt-get update \
 && apt-get install -y --no-install-recommends binutils \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY common ./common
COPY sidecar ./sidecar
COPY worker-shim ./worker-shim
COPY scripts/sea-build.mjs scripts/sea-install-shim.sh ./scripts/
# npm pack keeps exactly what package.json "files" lists, the same tarball that is published.
RUN npm run build \
 && npm run build:sea \
 && mkdir /pack \
 && npm pack --pack-destination /pack \
 && mv /pack/drainwatch-*.tgz /pack/drainwatch.tgz

# ---- runtime: production dependencies only, non-root, tini as PID 1 ----
FROM node:20-bookworm-slim AS runtime
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="drainwatch" \
      org.opencontainers.image.description="Keeps queue-worker pods alive until their task ends" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://example.com/drainwatch" \
      org.opencontainers.image.base.name="docker.io/library/node:20-bookworm-slim"
# tini as PID 1: it forwards signals to the program and reaps orphaned processes, which Node
# does not do (relevant in wrap mode, where a third-party sidecar may fork).
# apt-get clean drops apt's package caches (about 80 MB) where the base image does not.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*
# A numeric uid that matches the manifests' runAsUser, so runAsNonRoot can be verified.
RUN groupadd --system --gid 10001 drainwatch \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin drainwatch
WORKDIR /opt/drainwatch
ENV NODE_ENV=production
COPY --from=build /pack/drainwatch.tgz /tmp/drainwatch.tgz
COPY package-lock.json ./
# The lock file pins the production tree; --omit=dev leaves typescript, esbuild and the rest out.
RUN tar -xzf /tmp/drainwatch.tgz --strip-components=1 -C /opt/drainwatch \
 && rm /tmp/drainwatch.tgz \
 && npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && chmod 0755 dist/sidecar/main.js dist/worker-shim/main.js \
 && ln -s /opt/drainwatch/dist/sidecar/main.js /usr/local/bin/drainwatch-sidecar \
 && ln -s /opt/drainwatch/dist/worker-shim/main.js /usr/local/bin/drainwatch-shim
COPY --from=build /src/dist/sea/drainwatch-shim /src/dist/sea/drainwatch-install-shim \
     /usr/local/lib/drainwatch/
RUN ln -s /usr/local/lib/drainwatch/drainwatch-install-shim /usr/local/bin/drainwatch-install-shim
USER 10001:10001
EXPOSE 9797
# The sidecar treats SIGTERM as "start draining" and exits on its own when the worker is done.
STOPSIGNAL SIGTERM
ENTRYPOINT ["tini", "--"]
CMD ["drainwatch-sidecar"]
