#!/usr/bin/env bash
# Builds, locally, the base images the image test needs, because no registry is reachable:
#   localhost/drainwatch-test/debian:bookworm  Debian 12 minbase (debootstrap), no Node; the
#                                              "worker image without Node" of the SEA check
#   docker.io/library/node:20-bookworm-slim    the same plus this machine's node and npm, laid
#                                              out as in the official image (/usr/local), and
#                                              the official image's user "node" (uid 1000)
# The second carries the Dockerfile's FROM name, so `podman build --pull=never` uses it. It
# stands in for the official image; it is not it. Skips an image that already exists.
set -o errexit -o nounset -o pipefail

DEBIAN=localhost/drainwatch-test/debian:bookworm
NODE=docker.io/library/node:20-bookworm-slim
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

work=$(mktemp -d "${TMPDIR:-/tmp}/drainwatch-base-XXXXXX")
trap 'rm -rf "$work"' EXIT

if ! podman image exists "$DEBIAN"; then
  echo "debootstrap bookworm (minbase) from $MIRROR"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/*
  tar -C "$work/rootfs" -c . | podman import --change 'CMD ["bash"]' - "$DEBIAN" >/dev/null
  echo "made $DEBIAN"
fi

if ! podman image exists "$NODE"; then
  node_bin=$(readlink -f "$(command -v node)")
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  mkdir -p "$work/node/usr/local/bin" "$work/node/usr/local/lib/node_modules"
  cp "$node_bin" "$work/node/usr/local/bin/node"
  cp -a "$npm_dir" "$work/node/usr/local/lib/node_modules/npm"
  cat >"$work/node/Containerfile" <<CONTAINERFILE
FROM $DEBIAN
COPY usr/local /usr/local
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && groupadd --gid 1000 node \\
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && node --version && npm --version
ENV NODE_VERSION=$(node --version | tr -d v)
CMD ["node"]
CONTAINERFILE
  podman build --pull=never -q -t "$NODE" "$work/node" >/dev/null
  echo "made $NODE from $node_bin ($(node --version)) and npm $(npm --version)"
fi
