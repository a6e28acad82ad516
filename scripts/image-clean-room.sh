#!/usr/bin/env bash
# Reproduces the runtime stage of the Dockerfile without a container engine: in a temp dir it
# puts the bundles (scripts/bundle.mjs, as the build stage's npm run build makes them) where
# the image has them, with no node_modules anywhere, makes the /usr/local/bin symlinks, and
# runs both programs through them: drainwatch-sidecar must answer /healthz and exit 0 when
# released, drainwatch-shim -- true must exit 0.
# Usage: npm run image:clean-room   (needs curl; no network)
#   KEEP=1        keep the temp dir
#   SKIP_BUILD=1  bundle the dist/ already compiled instead of running npm run build first (the
#                 test suite sets it: rebuilding dist/ under running tests would break them)
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/.."

WAIT_SECONDS=20
room=$(mktemp -d "${TMPDIR:-/tmp}/drainwatch-clean-room-XXXXXX")
app="$room/opt/drainwatch"
bin="$room/usr/local/bin"
sidecar_pid=""

cleanup() {
  if [ -n "$sidecar_pid" ] && kill -0 "$sidecar_pid" 2>/dev/null; then
    kill -KILL "$sidecar_pid"
  fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $room"; else rm -rf "$room"; fi
}
trap cleanup EXIT

fail() {
  echo "clean room: FAILED: $*" >&2
  if [ -f "$room/sidecar.log" ]; then
    echo "--- sidecar log ---" >&2
    cat "$room/sidecar.log" >&2
  fi
  exit 1
}

started=$(date +%s%N)
elapsed() { echo "$(( ($(date +%s%N) - started) / 1000000 )) ms"; }

echo "clean room: $room"
if [ "${SKIP_BUILD:-0}" != 1 ]; then npm run --silent build; fi
mkdir -p "$app" "$bin"
node scripts/bundle.mjs --out "$app" >/dev/null
ln -s "$app/drainwatch-sidecar.cjs" "$bin/drainwatch-sidecar"
ln -s "$app/drainwatch-shim.cjs" "$bin/drainwatch-shim"
echo "installed (bundles + symlinks): $(elapsed)"

# Node looks for packages in node_modules of the program's directory and every parent: none
# may exist, so that a dependency the bundle failed to inline cannot be found by chance.
dir="$app"
while :; do
  [ ! -e "$dir/node_modules" ] || fail "$dir/node_modules exists; the check needs none"
  [ "$dir" != / ] || break
  dir=$(dirname "$dir")
done
echo "no node_modules in $app or any parent; $(du -sh "$app" | cut -f1) in all"

# Run from / with only the room's bin dir and the system on PATH, and no NODE_PATH: nothing
# from the repository (its node_modules, its dist) can be picked up.
export PATH="$bin:/usr/local/bin:/usr/bin:/bin"
unset NODE_PATH
cd /

DRAINWATCH_DIR="$room/shim-share" drainwatch-shim -- true >"$room/shim.log" \
  || fail "drainwatch-shim -- true exited $?"
echo "drainwatch-shim -- true: exit 0"

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{
  console.log(s.address().port); s.close(); })')
DRAINWATCH_DIR="$room/share" DRAINWATCH_PORT="$port" drainwatch-sidecar >"$room/sidecar.log" 2>&1 &
sidecar_pid=$!
for _ in $(seq $((WAIT_SECONDS * 10))); do
  grep -q '"event":"http.listening"' "$room/sidecar.log" && break
  kill -0 "$sidecar_pid" 2>/dev/null || fail "drainwatch-sidecar exited before listening"
  sleep 0.1
done
grep -q '"event":"http.listening"' "$room/sidecar.log" \
  || fail "no http.listening in ${WAIT_SECONDS}s"
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")
[ "$status" = 200 ] || fail "GET /healthz answered $status"
echo "drainwatch-sidecar: GET /healthz 200"

# Release it the way a pod does: SIGTERM starts the drain, the completion marker ends it.
kill -TERM "$sidecar_pid"
touch "$room/share/kill_sidecar"
for _ in $(seq $((WAIT_SECONDS * 10))); do
  kill -0 "$sidecar_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$sidecar_pid" 2>/dev/null \
  && fail "drainwatch-sidecar still running ${WAIT_SECONDS}s after release"
code=0
wait "$sidecar_pid" || code=$?
sidecar_pid=""
[ "$code" = 0 ] || fail "drainwatch-sidecar exited $code after release"
echo "drainwatch-sidecar: released by SIGTERM + kill_sidecar, exit 0"
echo "clean room: OK in $(elapsed)"
