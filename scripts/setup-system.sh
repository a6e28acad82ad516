#!/usr/bin/env bash
# Installs the system packages the test suite needs, only those that are missing. CI calls it
# before `npm test`; when everything is present it prints nothing and takes milliseconds.
#
#   rabbitmq-server   the broker for test/rabbitmq and the rollout benchmark
#   iproute2          `ip netns` for the pod emulator
#   util-linux        `unshare`, `nsenter`, `flock`
#
# Exit codes: 0 everything present; 1 apt-get failed (its output is shown).
set -o errexit -o nounset -o pipefail

declare -A COMMAND_OF=([rabbitmq-server]=rabbitmq-server [iproute2]=ip [util-linux]=unshare)

missing=()
for package in "${!COMMAND_OF[@]}"; do
  command -v "${COMMAND_OF[$package]}" >/dev/null || missing+=("$package")
done
((${#missing[@]} == 0)) && exit 0

echo "setup-system.sh: installing ${missing[*]}" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
if ! { "${sudo[@]}" apt-get update -qq &&
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "setup-system.sh: apt-get could not install ${missing[*]}; install them by hand" >&2
  exit 1
fi
