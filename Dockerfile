# syntax=docker/dockerfile:1
# The drainwatch image: drainwatch-sidecar (the default command) and drainwatch-shim on PATH,
# plus the self-contained shim for worker images without Node (drainwatch-install-shim).
# Build: docker build -t drainwatch:0.1.0 .   (or: npm run image:build, with podman)
# The base is pinned by tag; pin it by digest too in production (docs/image.md).

# ---- build: compile with dev dependencies, bundle both programs and the SEA shim ----
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
COPY scripts/bundle.mjs scripts/sea-build.mjs scripts/sea-install-shim.sh ./scripts/
# npm run build = tsc, then scripts/bundle.mjs: each program as one executable CommonJS file
# with its dependencies inlined (dist/bundle/), so the runtime stage needs no node_modules.
RUN npm run build \
 && npm run build:sea

# ---- runtime: the bundled programs only (no node_modules), non-root, tini as PID 1 ----
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
ENV NODE_ENV=production
# The bundles inline every dependency; THIRD-PARTY-NOTICES.txt carries the inlined packages'
# licences. The self-contained shim is for worker images without Node.
COPY --from=build /src/dist/bundle/ /opt/drainwatch/
COPY --from=build /src/dist/sea/drainwatch-shim /src/dist/sea/drainwatch-install-shim \
     /usr/local/lib/drainwatch/
RUN ln -s /opt/drainwatch/drainwatch-sidecar.cjs /usr/local/bin/drainwatch-sidecar \
 && ln -s /opt/drainwatch/drainwatch-shim.cjs /usr/local/bin/drainwatch-shim \
 && ln -s /usr/local/lib/drainwatch/drainwatch-install-shim /usr/local/bin/drainwatch-install-shim
USER 10001:10001
EXPOSE 9797
# The sidecar treats SIGTERM as "start draining" and exits on its own when the worker is done.
STOPSIGNAL SIGTERM
ENTRYPOINT ["tini", "--"]
CMD ["drainwatch-sidecar"]
