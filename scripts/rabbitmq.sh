#!/usr/bin/env bash
# Starts, stops or reports the RabbitMQ broker used by the demo, the tests and the benchmark.
#
#   scripts/rabbitmq.sh start    use a broker already listening on 127.0.0.1:5672, or install
#                                (apt, only if missing) and start Debian's rabbitmq-server bound
#                                to 127.0.0.1 only; wait until it accepts AMQP connections
#   scripts/rabbitmq.sh stop     stop the broker and epmd, but only if this script started them
#   scripts/rabbitmq.sh status   say whether a broker listens and who started it
#
# Every state file, log and the broker's data live under DRAINWATCH_RABBITMQ_DIR, so nothing
# else on the machine is touched. Every command is idempotent and serialised by a lock, so
# tests running in parallel may all call `start`.
#
# Environment:
#   DRAINWATCH_RABBITMQ_DIR            state, data and logs (default /tmp/drainwatch-rabbitmq)
#   DRAINWATCH_RABBITMQ_START_TIMEOUT  seconds to wait for readiness (default 90)
#   DRAINWATCH_RABBITMQ_STOP_TIMEOUT   seconds to wait for the broker to stop (default 30)
#
# Exit codes: 0 done; 1 the broker did not start or stop in time (its log tail is printed);
# 2 usage error; 3 rabbitmq-server is missing and could not be installed. `status` exits 0 when
# a broker listens and 1 when none does.
set -o errexit -o nounset -o pipefail

readonly HOST=127.0.0.1
readonly PORT=5672
readonly BASE="${DRAINWATCH_RABBITMQ_DIR:-/tmp/drainwatch-rabbitmq}"
readonly START_TIMEOUT="${DRAINWATCH_RABBITMQ_START_TIMEOUT:-90}"
readonly STOP_TIMEOUT="${DRAINWATCH_RABBITMQ_STOP_TIMEOUT:-30}"
# Written only when this script started the broker; `stop` acts only when it exists.
readonly OWNED="$BASE/started-by-drainwatch"
readonly EPMD_OWNED="$BASE/epmd-started-by-drainwatch"

say() { printf 'rabbitmq.sh: %s\n' "$*" >&2; }

usage() {
  say "expected one argument: start, stop or status (got: ${*:-nothing})"
  exit 2
}

for value in "$START_TIMEOUT" "$STOP_TIMEOUT"; do
  if ! [[ "$value" =~ ^[1-9][0-9]*$ ]]; then
    say "a timeout is \"$value\"; expected whole seconds such as 90." \
      "Fix DRAINWATCH_RABBITMQ_START_TIMEOUT / DRAINWATCH_RABBITMQ_STOP_TIMEOUT."
    exit 2
  fi
done

listening() {
  # A TCP connect, not a port listing: it proves that something accepts connections.
  timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$PORT" 2>/dev/null
}

epmd_running() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/4369" 2>/dev/null
}

# The broker's environment. Debian's wrapper runs it as the rabbitmq user through `su`, which
# keeps these variables. The distribution port (25672) and epmd are bound to loopback as well.
broker_env() {
  export RABBITMQ_NODENAME=rabbit@localhost
  export RABBITMQ_NODE_IP_ADDRESS=$HOST
  export RABBITMQ_NODE_PORT=$PORT
  export ERL_EPMD_ADDRESS=$HOST
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export RABBITMQ_MNESIA_BASE="$BASE/mnesia"
  export RABBITMQ_LOG_BASE="$BASE/log"
  export RABBITMQ_PID_FILE="$BASE/rabbit.pid"
  export RABBITMQ_CONFIG_FILE="$BASE/rabbitmq.conf"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$BASE/enabled_plugins"
  export RABBITMQ_PLUGINS_EXPAND_DIR="$BASE/plugins-expand"
  export RABBITMQ_FEATURE_FLAGS_FILE="$BASE/feature_flags"
}

install_if_missing() {
  if command -v rabbitmq-server >/dev/null; then return 0; fi
  say "rabbitmq-server is not installed; installing it with apt-get (about 15 s)"
  if ! { apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      rabbitmq-server >/dev/null; }; then
    say "could not install rabbitmq-server with apt-get. Install it by hand, or start any" \
      "RabbitMQ listening on $HOST:$PORT with user guest/guest, then run this again."
    exit 3
  fi
}

write_config() {
  mkdir -p "$BASE/mnesia" "$BASE/log" "$BASE/plugins-expand"
  # The listener is loopback-only, so letting guest log in from any source address exposes
  # nothing; it lets pods of the emulator reach the broker through a forwarded port.
  cat >"$BASE/rabbitmq.conf" <<'EOF'
loopback_users = none
log.console = false
EOF
  printf '[].\n' >"$BASE/enabled_plugins"
  chown -R rabbitmq:rabbitmq "$BASE/mnesia" "$BASE/log" "$BASE/plugins-expand"
  # The broker also writes its pid file, plugin list and feature flags here.
  chown rabbitmq:rabbitmq "$BASE" "$BASE/enabled_plugins"
}

tail_logs() {
  say "last lines of the broker's logs under $BASE/log:"
  tail -n 30 "$BASE"/log/*.log /var/log/rabbitmq/startup_err /var/log/rabbitmq/startup_log \
    2>/dev/null >&2 || true
}

start() {
  if listening; then
    if [[ -f "$OWNED" ]]; then say "already running (started by this script)"; else
      say "using the broker already listening on $HOST:$PORT"
    fi
    return 0
  fi
  install_if_missing
  rm -f "$OWNED" "$EPMD_OWNED"
  write_config
  if ! epmd_running; then : >"$EPMD_OWNED"; fi
  broker_env
  say "starting rabbitmq-server on $HOST:$PORT (data under $BASE)"
  # fd 9 holds the lock; the detached broker and epmd must not inherit it.
  rabbitmq-server -detached 9>&-
  : >"$OWNED"
  local deadline=$((SECONDS + START_TIMEOUT))
  # await_startup fails at once while the node is not yet registered with epmd, so it is
  # retried until the deadline; each call is itself bounded.
  until rabbitmqctl -q -n rabbit@localhost await_startup --timeout 5 >/dev/null 2>&1 9>&- &&
    listening; do
    if ((SECONDS >= deadline)); then
      say "the broker was not ready within ${START_TIMEOUT}s" \
        "(DRAINWATCH_RABBITMQ_START_TIMEOUT); stop it with: $0 stop"
      tail_logs
      exit 1
    fi
    sleep 0.5
  done
  say "ready on $HOST:$PORT"
}

stop() {
  if [[ ! -f "$OWNED" ]]; then
    if listening; then
      say "the broker on $HOST:$PORT was not started by this script; leaving it alone"
    else
      say "not running"
    fi
    return 0
  fi
  broker_env
  if [[ -f "$RABBITMQ_PID_FILE" ]] && listening; then
    # With the pid file, `stop` waits until the Erlang VM has exited, not only the app.
    timeout "$STOP_TIMEOUT" rabbitmqctl -q -n rabbit@localhost stop "$RABBITMQ_PID_FILE" \
      >/dev/null 9>&- ||
      { say "the broker did not stop within ${STOP_TIMEOUT}s"; tail_logs; exit 1; }
  fi
  if [[ -f "$EPMD_OWNED" ]]; then
    # epmd outlives the broker; it was not running before `start`, so it is ours to end.
    epmd -kill >/dev/null 2>&1 || true
    rm -f "$EPMD_OWNED"
  fi
  rm -f "$OWNED"
  say "stopped"
}

status() {
  if listening; then
    if [[ -f "$OWNED" ]]; then say "running on $HOST:$PORT (started by this script)"; else
      say "running on $HOST:$PORT (not started by this script)"
    fi
    return 0
  fi
  say "not running"
  return 1
}

[[ $# -eq 1 ]] || usage "$@"
mkdir -p "$BASE"
# One command at a time: parallel test files may all call `start`.
exec 9>"$BASE.lock"
if ! flock -w "$((START_TIMEOUT + STOP_TIMEOUT))" 9; then
  say "another rabbitmq.sh command held the lock $BASE.lock for too long"
  exit 1
fi
case "$1" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) usage "$@" ;;
esac
