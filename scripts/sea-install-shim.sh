#!/bin/sh
# drainwatch-install-shim DIR: copies the self-contained drainwatch-shim that sits beside this
# script (or DRAINWATCH_SHIM_SOURCE) into DIR, an emptyDir shared with a worker container whose
# image has no Node, and checks that the copy runs. Used as an init container's command in the
# drainwatch image (k8s/no-node). Exit codes: 0 installed, 1 copy or check failed, 2 usage.
set -eu

name=drainwatch-install-shim
if [ "$#" -ne 1 ]; then
  echo "usage: $name DIR   (DIR: the shared emptyDir the worker runs the shim from)" >&2
  exit 2
fi
target_dir=$1
here=$(dirname "$(readlink -f "$0")")
source=${DRAINWATCH_SHIM_SOURCE:-$here/drainwatch-shim}

if [ ! -f "$source" ]; then
  echo "$name: no shim binary at $source; build it with npm run build:sea," \
    "or set DRAINWATCH_SHIM_SOURCE to its path" >&2
  exit 1
fi
if [ ! -d "$target_dir" ] || [ ! -w "$target_dir" ]; then
  echo "$name: $target_dir is not a writable directory; mount the shared emptyDir there" >&2
  exit 2
fi

# Copied under a temporary name and renamed, so a reader never sees half a binary.
cp "$source" "$target_dir/.drainwatch-shim.tmp"
chmod 0755 "$target_dir/.drainwatch-shim.tmp"
mv -f "$target_dir/.drainwatch-shim.tmp" "$target_dir/drainwatch-shim"
"$target_dir/drainwatch-shim" --help >/dev/null
echo "$name: installed $target_dir/drainwatch-shim"
