#!/usr/bin/env bash
# Reproduces the runtime stage of the Dockerfile without a container engine: in a temp dir it
# unpacks the packed package (npm pack, as the build stage does), installs production
# dependencies only from the lock file (npm ci --omit=dev), makes the /usr/local/bin symlinks,
# and runs both programs from there: drainwatch-sidecar must answer /healthz and exit 0 when
# released, drainwatch-shim -- true must exit 0, and no dev dependency may be present.
# Usage: npm run image:clean-room   (needs the npm registry or a warm npm cache, and curl)
#   KEEP=1        keep the temp dir
#   SKIP_BUILD=1  use the dist/ already built instead of running npm run build (the test suite
#                 sets it: rebuilding dist/ under running tests would break them)
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
mkdir -p "$room/pack" "$app" "$bin"
npm pack --silent --pack-destination "$room/pack" >/dev/null
tar -xzf "$room"/pack/drainwatch-*.tgz --strip-components=1 -C "$app"
cp package-lock.json "$app/"
(cd "$app" && NODE_ENV=production npm ci --omit=dev --no-audit --no-fund --prefer-offline --silent)
chmod 0755 "$app/dist/sidecar/main.js" "$app/dist/worker-shim/main.js"
ln -s "$app/dist/sidecar/main.js" "$bin/drainwatch-sidecar"
ln -s "$app/dist/worker-shim/main.js" "$bin/drainwatch-shim"
echo "installed (npm pack + npm ci --omit=dev): $(elapsed)"

for dev in typescript esbuild postject kubernetes-models yaml amqplib dockerfile-utils @types; do
  [ ! -e "$app/node_modules/$dev" ] || fail "dev dependency $dev is installed"
done
for prod in chokidar fastify pino prom-client; do
  [ -e "$app/node_modules/$prod" ] || fail "production dependency $prod is missing"
done
echo "node_modules: $(du -sh "$app/node_modules" | cut -f1), production dependencies only"

# Run from / with only the room's bin dir and the system on PATH: nothing from the repository
# (its node_modules, its dist) can be picked up.
export PATH="$bin:/usr/local/bin:/usr/bin:/bin"
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
