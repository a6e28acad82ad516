#!/usr/bin/env bash
# Makes podman usable on a Debian 12 machine without a registry (see docs/image.md): installs
# podman with runc (crun fails here: no CAP_SYS_RESOURCE and hybrid cgroups) and debootstrap
# if missing, and writes /etc/containers/containers.conf (runc, ulimits below the hard limits)
# unless one exists. Needs root and the Debian mirror.
set -o errexit -o nounset -o pipefail

PACKAGES=(podman runc conmon containernetworking-plugins slirp4netns fuse-overlayfs uidmap
  catatonit debootstrap)
CONF=/etc/containers/containers.conf

if [ "$(id -u)" != 0 ]; then
  echo "image-podman-setup: needs root (apt-get, /etc/containers)" >&2
  exit 2
fi
missing=()
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${PACKAGES[*]} (missing: ${missing[*]})"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"
fi
if [ ! -e "$CONF" ]; then
  mkdir -p /etc/containers
  cat >"$CONF" <<'CONF'
# Written by drainwatch scripts/image-podman-setup.sh: crun cannot set podman's default
# ulimits without CAP_SYS_RESOURCE and does not support hybrid cgroups; runc works.
[containers]
default_ulimits = ["nofile=1000:1000", "nproc=1000:1000"]

[engine]
runtime = "runc"
CONF
  echo "wrote $CONF"
fi
podman info --format '{{.Host.OCIRuntime.Name}} {{.Version.Version}}' >/dev/null
echo "podman ready: $(podman --version), runtime $(podman info --format '{{.Host.OCIRuntime.Name}}')"
