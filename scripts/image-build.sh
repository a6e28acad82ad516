#!/usr/bin/env bash
# Builds the drainwatch image with podman on this machine: sets podman up if needed, makes
# the local stand-in base images (no registry is reachable), then builds the Dockerfile.
# Usage: npm run image:build [-- --trust-host-ca]   (root; tags localhost/drainwatch:0.1.0)
# The build needs the Debian mirror (apt-get) and the npm registry (npm ci). Where HTTPS goes
# through a TLS-intercepting proxy whose CA only the host trusts (npm then fails inside the
# build with SELF_SIGNED_CERT_IN_CHAIN), --trust-host-ca gives the build's RUN steps the host's
# CA bundle and an npmrc naming it, as RUN-time mounts: nothing of it lands in the image, and
# the Dockerfile is unchanged.
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/.."

IMAGE=${DRAINWATCH_IMAGE:-localhost/drainwatch:0.1.0}
HOST_CA=${HOST_CA:-/etc/ssl/certs/ca-certificates.crt}
mounts=()
case "${1:-}" in
  "") ;;
  --trust-host-ca)
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/drainwatch-npmrc-XXXXXX")
    trap 'rm -rf "$scratch"' EXIT
    printf 'cafile=/run/drainwatch-host-ca.crt\n' >"$scratch/npmrc"
    mounts=(-v "$HOST_CA:/run/drainwatch-host-ca.crt:ro" -v "$scratch/npmrc:/root/.npmrc:ro")
    ;;
  *)
    echo "usage: $0 [--trust-host-ca]" >&2
    exit 2
    ;;
esac

bash scripts/image-podman-setup.sh
bash scripts/image-base.sh
started=$(date +%s)
podman build --pull=never --layers "${mounts[@]}" -t "$IMAGE" -f Dockerfile .
echo "built $IMAGE in $(( $(date +%s) - started )) s:" \
  "$(podman image inspect --format '{{.Size}}' "$IMAGE") bytes"
