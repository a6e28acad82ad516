#!/usr/bin/env bash
# End-to-end check of the drainwatch image with podman on this machine: builds it (see
# scripts/image-build.sh; arguments are passed on, e.g. --trust-host-ca), then runs it:
#  1. the default command is tini (PID 1) -> drainwatch-sidecar as uid 10001, with a read-only
#     root and /tmp/share on tmpfs, as in the manifests; GET /healthz answers 200 through a
#     published port; SIGTERM (podman kill) starts a drain, a touched kill_sidecar ends it,
#     and the container exits 0;
#  2. drainwatch-shim -- sh -c 'exit 7' exits 7;
#  3. drainwatch-install-shim copies the self-contained shim into a volume, and that copy runs
#     in a Debian image without Node (exit 7 passed through).
# Usage: npm run image:test [-- --trust-host-ca]   (root; prints each step and its time)
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/.."

IMAGE=${DRAINWATCH_IMAGE:-localhost/drainwatch:0.1.0}
NO_NODE_IMAGE=localhost/drainwatch-test/debian:bookworm
WAIT_SECONDS=30
name="drainwatch-image-test-$$"
volume_dir=$(mktemp -d "${TMPDIR:-/tmp}/drainwatch-image-test-XXXXXX")

cleanup() {
  podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
  rm -rf "$volume_dir"
}
trap cleanup EXIT

fail() {
  echo "image test: FAILED: $*" >&2
  podman logs "$name" >&2 2>/dev/null || true
  exit 1
}

step_started=$(date +%s%N)
step() {
  echo "$(printf '%-58s' "$1") $(( ($(date +%s%N) - step_started) / 1000000 )) ms"
  step_started=$(date +%s%N)
}

DRAINWATCH_IMAGE="$IMAGE" bash scripts/image-build.sh "$@"
step_started=$(date +%s%N)

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{
  console.log(s.address().port); s.close(); })')
podman run -d --name "$name" --read-only --tmpfs /tmp/share:rw,mode=1777 \
  -p "127.0.0.1:$port:9797" "$IMAGE" >/dev/null
# Waits (bounded) for a log line with the given event: the handshake with the container.
wait_for_event() {
  for _ in $(seq $((WAIT_SECONDS * 10))); do
    podman logs "$name" 2>/dev/null | grep -q "\"event\":\"$1\"" && return 0
    sleep 0.1
  done
  fail "the sidecar did not log $1 within ${WAIT_SECONDS}s"
}

wait_for_event http.listening
step "sidecar container started and listening"

[ "$(podman exec "$name" cat /proc/1/comm)" = tini ] || fail "PID 1 is not tini"
[ "$(podman exec "$name" id -u)" = 10001 ] || fail "the container does not run as uid 10001"
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")
[ "$status" = 200 ] || fail "GET /healthz answered $status"
step "PID 1 tini, uid 10001, GET /healthz 200"

podman kill --signal TERM "$name" >/dev/null
wait_for_event drain.started
podman exec "$name" touch /tmp/share/kill_sidecar
code=$(timeout "$WAIT_SECONDS" podman wait "$name") || fail "the sidecar did not exit after release"
[ "$code" = 0 ] || fail "the sidecar container exited $code after release"
step "SIGTERM + kill_sidecar: container exited 0"

code=0
podman run --rm "$IMAGE" drainwatch-shim -- sh -c 'exit 7' >/dev/null 2>&1 || code=$?
[ "$code" = 7 ] || fail "drainwatch-shim -- sh -c 'exit 7' exited $code"
step "drainwatch-shim -- sh -c 'exit 7': exit 7"

chmod 0777 "$volume_dir"
podman run --rm --read-only -v "$volume_dir:/drainwatch/bin" "$IMAGE" \
  drainwatch-install-shim /drainwatch/bin >/dev/null || fail "drainwatch-install-shim failed"
podman run --rm "$NO_NODE_IMAGE" sh -c 'command -v node' >/dev/null 2>&1 \
  && fail "$NO_NODE_IMAGE has node"
code=0
podman run --rm -v "$volume_dir:/drainwatch/bin:ro" "$NO_NODE_IMAGE" \
  /drainwatch/bin/drainwatch-shim -- sh -c 'exit 7' >/dev/null 2>&1 || code=$?
[ "$code" = 7 ] || fail "the copied shim in an image without Node exited $code"
step "installed SEA shim runs in an image without Node: exit 7"
echo "image test: OK"
